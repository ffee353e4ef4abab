/**
 * One shard's line to another: the messages its members sent, delivered in the
 * order it received them, by one call at a time. Messages queued while a call is
 * out go together in the next one, so under load a call carries many messages,
 * and with no traffic nothing is queued, pending or scheduled.
 */
import { logError } from "../../log";
import { MAX_UNSENT_BYTES } from "../../protocol/backpressure";
import { messageBytes } from "../../protocol/frames";
import type { Payload, RelayMeta } from "../message";
import { isIntegerIn } from "../validate";
import type { ShardAddress } from "./names";
import type { RelayTarget } from "./relay-messages";

/** Where a link keeps its count of undelivered messages, so the notice outlives an eviction. */
export interface MissedStore {
  get(key: string): unknown;
  put(key: string, value: number): void;
  delete(key: string): boolean;
}

/** Bytes one call carries at most; a larger message goes alone, as a stream (`LargeRelay`). */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Bytes a link holds for a shard that is not taking them: past it, as for a slow reader, messages are dropped. */
export const MAX_QUEUED_BYTES = MAX_UNSENT_BYTES;
/**
 * Calls in a row that may fail before the link stops trying: the failed one and one
 * notice. It then asks for a retry through the object's alarm (`retry`), with backoff,
 * so the notice reaches the other shard's members without waiting for more traffic.
 */
const ATTEMPTS_IN_A_ROW = 2;

interface Queued {
  readonly data: Payload;
  /** The member who sent it, for the log when it is lost. */
  readonly sender: string | undefined;
  readonly size: number;
  /** Its place in this shard's history, with history on. */
  readonly meta: RelayMeta | undefined;
}

export class Link {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  /** Resolved when the call carrying the messages queued so far has ended, delivered or not. */
  private settled: { promise: Promise<void>; resolve: () => void } | null = null;
  private sending: Promise<void> | null = null;
  private missed: number;
  private target: RelayTarget;
  /** The other shard left (or came back as a new incarnation): this link never calls again. */
  private closed = false;

  /**
   * @param to the other shard and the list version it joined at: one link per incarnation
   * @param open makes a fresh stub: a stub that threw stays broken, so each failure gets a new one
   * @param gaveUp asks for a `retry()` later, through the object's alarm
   */
  constructor(
    private readonly from: ShardAddress,
    readonly to: { readonly index: number; readonly added: number },
    private readonly open: () => RelayTarget,
    private readonly store: MissedStore,
    private readonly gaveUp: () => void,
  ) {
    this.target = open();
    const stored = store.get(this.missedKey);
    this.missed = isIntegerIn(stored, 0, Number.MAX_SAFE_INTEGER) ? stored : 0;
  }

  /**
   * Queues one message; resolves once the call carrying it has ended. A message past
   * the queue's bound is dropped at once (and counted missed): nothing waits on it.
   */
  send(data: Payload, sender: string | undefined, meta?: RelayMeta): Promise<void> | undefined {
    if (this.closed) return undefined;
    const size = messageBytes(data);
    if (this.queuedBytes + size > MAX_QUEUED_BYTES && this.queue.length > 0) {
      logError("room_relay_dropped", new Error(`over ${MAX_QUEUED_BYTES} bytes queued`), this.fields(sender, 1));
      // Counted in memory only: the call in flight keeps the object alive, and the count is stored if the link gives up.
      this.missed++;
      return undefined;
    }
    this.queue.push({ data, sender, size, meta });
    this.queuedBytes += size;
    this.settled ??= deferred();
    const { promise } = this.settled;
    this.sending ??= this.pump();
    return promise;
  }

  /** A notice is owed to the other shard: true until one got through. */
  get owes(): boolean {
    return this.missed > 0;
  }

  /** From the alarm: tries the owed notice again; resolves once the try has ended. */
  retry(): Promise<void> {
    if (this.closed || this.missed === 0) return Promise.resolve();
    this.sending ??= this.pump();
    return this.sending;
  }

  /**
   * The other shard left the room, or this incarnation of it did: nobody there is owed
   * anything. What is queued is dropped, and a call in flight is the last one.
   */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.settled?.resolve();
    this.settled = null;
    this.missed = 0;
    this.store.delete(this.missedKey);
  }

  /** Calls the other shard, one call at a time, until nothing is queued and nothing is owed. */
  private async pump(): Promise<void> {
    try {
      await this.pumpQueue();
    } finally {
      this.sending = null;
    }
  }

  private async pumpQueue(): Promise<void> {
    let failures = 0;
    while (!this.closed && (this.queue.length > 0 || this.missed > 0)) {
      const batch = this.takeBatch();
      const settled = this.queue.length === 0 ? this.settled : null;
      if (settled !== null) this.settled = null;
      const missed = this.missed;
      const [only] = batch;
      const header = { from: this.from.index, incarnation: this.to.added, missed };
      try {
        if (batch.length === 1 && only !== undefined && only.size > MAX_BATCH_BYTES) {
          const text = typeof only.data === "string";
          const body = new Blob([only.data]).stream();
          await this.target.relayLarge(
            only.meta ? { ...header, text, body, meta: only.meta } : { ...header, text, body },
          );
        } else {
          const messages = batch.map((queued) => queued.data);
          const meta = batch.flatMap((queued) => (queued.meta ? [queued.meta] : []));
          await this.target.relay(
            meta.length > 0 && meta.length === messages.length
              ? { ...header, messages, meta }
              : { ...header, messages },
          );
        }
        if (!this.closed) this.setMissed(this.missed - missed);
        failures = 0;
      } catch (error) {
        // Not retried here: the runtime already retried what was safe to retry, and a
        // second delivery could duplicate. The receiver is told instead (`missed`).
        this.target = this.open();
        logError("room_relay_failed", error, this.fields(batch[0]?.sender, batch.length));
        if (!this.closed) this.missed += batch.length;
        failures++;
      }
      settled?.resolve();
      if (failures >= ATTEMPTS_IN_A_ROW) {
        this.dropQueue();
        this.store.put(this.missedKey, this.missed);
        this.gaveUp();
        return;
      }
    }
  }

  /** The oldest queued messages, up to `MAX_BATCH_BYTES` (at least one). */
  private takeBatch(): Queued[] {
    let bytes = 0;
    let count = 0;
    for (const queued of this.queue) {
      if (count > 0 && bytes + queued.size > MAX_BATCH_BYTES) break;
      bytes += queued.size;
      count++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, count);
  }

  /** Gives up on what is queued: it counts as missed, and the senders' events may end. */
  private dropQueue(): void {
    this.missed += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.settled?.resolve();
    this.settled = null;
  }

  private setMissed(missed: number): void {
    if (missed === this.missed) return;
    this.missed = missed;
    if (missed === 0) this.store.delete(this.missedKey);
    else this.store.put(this.missedKey, missed);
  }

  private get missedKey(): string {
    return `missed:${this.to.index}@${this.to.added}`;
  }

  private fields(socket: string | undefined, lost: number) {
    return { room: this.from.room, shard: this.from.index, to: this.to.index, socket, lost };
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
