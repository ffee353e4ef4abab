/**
 * One shard's line to another: the messages its members sent, delivered in the
 * order it received them, by one call at a time. Messages queued while a call is
 * out go together in the next one, so under load a call carries many messages,
 * and with no traffic nothing is queued, pending or scheduled.
 */
import { logError } from "../../log";
import { MAX_UNSENT_BYTES } from "../../protocol/backpressure";
import { messageBytes } from "../../protocol/frames";
import { isIntegerIn } from "../validate";
import type { ShardAddress } from "./names";
import type { Payload, RelayTarget } from "./relay-messages";

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
/** Calls in a row that may fail before the link stops trying until the next message: the failed one and one notice. */
const ATTEMPTS_IN_A_ROW = 2;

interface Queued {
  readonly data: Payload;
  /** The member who sent it, for the log when it is lost. */
  readonly sender: string | undefined;
  readonly size: number;
}

export class Link {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  /** Resolved when the call carrying the messages queued so far has ended, delivered or not. */
  private settled: { promise: Promise<void>; resolve: () => void } | null = null;
  private sending = false;
  private missed: number;
  private target: RelayTarget;

  /**
   * @param open makes a fresh stub: a stub that threw stays broken, so each failure gets a new one
   */
  constructor(
    private readonly from: ShardAddress,
    readonly to: number,
    private readonly open: () => RelayTarget,
    private readonly store: MissedStore,
  ) {
    this.target = open();
    const stored = store.get(this.missedKey);
    this.missed = isIntegerIn(stored, 0, Number.MAX_SAFE_INTEGER) ? stored : 0;
  }

  /** Queues one message; resolves once the call carrying it has ended. */
  send(data: Payload, sender: string | undefined): Promise<void> {
    const size = messageBytes(data);
    if (this.queuedBytes + size > MAX_QUEUED_BYTES && this.queue.length > 0) {
      logError("room_relay_dropped", new Error(`over ${MAX_QUEUED_BYTES} bytes queued`), this.fields(sender, 1));
      this.setMissed(this.missed + 1);
    } else {
      this.queue.push({ data, sender, size });
      this.queuedBytes += size;
    }
    this.settled ??= deferred();
    const { promise } = this.settled;
    if (!this.sending) void this.pump();
    return promise;
  }

  /** Forgets the undelivered count: the other shard left the room, so nobody there is owed a notice. */
  forget(): void {
    this.setMissed(0);
  }

  /** Calls the other shard, one call at a time, until nothing is queued and nothing is owed. */
  private async pump(): Promise<void> {
    this.sending = true;
    let failures = 0;
    while (this.queue.length > 0 || this.missed > 0) {
      const batch = this.takeBatch();
      const settled = this.queue.length === 0 ? this.settled : null;
      if (settled !== null) this.settled = null;
      const missed = this.missed;
      const [only] = batch;
      try {
        if (batch.length === 1 && only !== undefined && only.size > MAX_BATCH_BYTES) {
          const text = typeof only.data === "string";
          await this.target.relayLarge({ from: this.from.index, missed, text, body: new Blob([only.data]).stream() });
        } else {
          await this.target.relay({ from: this.from.index, missed, messages: batch.map((queued) => queued.data) });
        }
        this.setMissed(this.missed - missed);
        failures = 0;
      } catch (error) {
        // Not retried here: the runtime already retried what was safe to retry, and a
        // second delivery could duplicate. The receiver is told instead (`missed`).
        this.target = this.open();
        logError("room_relay_failed", error, this.fields(batch[0]?.sender, batch.length));
        this.setMissed(this.missed + batch.length);
        failures++;
      }
      settled?.resolve();
      if (failures >= ATTEMPTS_IN_A_ROW) {
        this.dropQueue();
        break;
      }
    }
    this.sending = false;
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

  /** Gives up on what is queued until the next message: it counts as missed, and the senders' events may end. */
  private dropQueue(): void {
    if (this.queue.length > 0) this.setMissed(this.missed + this.queue.length);
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
    return `missed:${this.to}`;
  }

  private fields(socket: string | undefined, lost: number) {
    return { room: this.from.room, shard: this.from.index, to: this.to, socket, lost };
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
