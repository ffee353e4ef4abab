/**
 * The directory's line to each shard with watchers: presence items in the order they
 * were numbered, one call at a time per shard, and at most one call per shard every
 * `BATCH_MS`: the items queued meanwhile go together in the next. A join in a quiet
 * room is sent at once; a burst costs each shard one call per `BATCH_MS`, never one
 * per join, and a quiet room none. A call that fails is not retried as such: the
 * shard's next call starts with a fresh snapshot instead, so its watchers are right again.
 */
import { logError } from "../../log";
import type { PresenceBatch, PresenceItem } from "./frames";

/**
 * The least time between two calls to one shard (and deliveries to the directory's own
 * watchers). A burst's items share calls, and a batched watcher's frames: with 1,000
 * members watching, joins ran at 0.40x (`presence=1`) and 1.01x (`=batch`) of without
 * presence, against 0.29x and 0.68x with 20 ms (docs/presence.md). 50 ms is half of what
 * a person notices in a list of who is here.
 */
export const BATCH_MS = 50;

/** Delivers a batch to shard `index`; rejects when it cannot be reached. */
export type SendBatch = (index: number, batch: PresenceBatch) => Promise<unknown>;

interface Line {
  queue: PresenceItem[];
  sending: boolean;
  /** When its last call started (0: none yet). */
  last: number;
  /** A call failed: the next one starts with a fresh snapshot. */
  stale: boolean;
}

export class PresenceAnnouncer {
  private readonly lines = new Map<number, Line>();

  /**
   * @param fresh the item of a snapshot as of now
   * @param background keeps the object alive for a call (`ctx.waitUntil`)
   */
  constructor(
    private readonly life: string,
    private readonly call: SendBatch,
    private readonly fresh: () => PresenceItem,
    private readonly background: (work: Promise<unknown>) => void,
  ) {}

  send(index: number, item: PresenceItem): void {
    let line = this.lines.get(index);
    if (line === undefined) {
      line = { queue: [], sending: false, last: 0, stale: false };
      this.lines.set(index, line);
    }
    line.queue.push(item);
    if (!line.sending) this.background(this.pump(index, line));
  }

  private async pump(index: number, line: Line): Promise<void> {
    line.sending = true;
    try {
      while (line.queue.length > 0) {
        const since = Date.now() - line.last;
        if (since < BATCH_MS) await new Promise((resolve) => setTimeout(resolve, BATCH_MS - since));
        line.last = Date.now();
        const items = line.stale ? [this.fresh()] : line.queue;
        line.queue = [];
        try {
          await this.call(index, { life: this.life, items });
          line.stale = false;
        } catch (error) {
          logError("room_presence_send_failed", error, { to: index, items: items.length });
          line.stale = true;
        }
      }
    } finally {
      // The line stays (one per shard with watchers), so the next call still waits its turn.
      line.sending = false;
    }
  }

  /** From the periodic check: shards whose last call failed get a fresh snapshot. */
  retryStale(): void {
    for (const [index, line] of this.lines) {
      if (!line.stale || line.sending) continue;
      line.queue.push(this.fresh());
      this.background(this.pump(index, line));
    }
  }
}
