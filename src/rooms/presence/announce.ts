/**
 * The directory's line to each shard with watchers: presence items in the order they
 * were numbered, one call at a time per shard, the items queued meanwhile together
 * in the next. So a burst of joins costs each shard a few calls, never one per join,
 * and a quiet room none. A call that fails is not retried as such: the shard's next
 * call starts with a fresh snapshot instead, so its watchers are right again.
 */
import { logError } from "../../log";
import type { PresenceBatch, PresenceItem } from "./frames";

/** Delivers a batch to shard `index`; rejects when it cannot be reached. */
export type SendBatch = (index: number, batch: PresenceBatch) => Promise<unknown>;

interface Line {
  queue: PresenceItem[];
  sending: boolean;
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
      line = { queue: [], sending: false, stale: false };
      this.lines.set(index, line);
    }
    line.queue.push(item);
    if (!line.sending) this.background(this.pump(index, line));
  }

  private async pump(index: number, line: Line): Promise<void> {
    line.sending = true;
    try {
      while (line.queue.length > 0) {
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
      line.sending = false;
      if (line.queue.length === 0 && !line.stale) this.lines.delete(index);
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
