/**
 * Joins the directory sent to a shard and that have not arrived there yet: a hint
 * that spreads racing joins over shards, never a count. A hint ends when its join
 * arrives (the shard asks to admit it), not when the shard reports, which may
 * happen before; or after `PENDING_MS`, when the join surely went elsewhere or away.
 */

/** A join sent to a shard arrives there within this, or never. */
const PENDING_MS = 10_000;

export class JoinHints {
  /** When each join on its way to a shard was sent. */
  private readonly sent = new Map<number, number[]>();

  constructor(private readonly now: () => number) {}

  /** A join was sent to shard `index`. */
  sentTo(index: number): void {
    this.sent.set(index, [...(this.sent.get(index) ?? []), this.now()]);
  }

  /** A join arrived at shard `index`. */
  arrived(index: number): void {
    const times = this.sent.get(index);
    times?.shift();
    if (times?.length === 0) this.sent.delete(index);
  }

  /** Joins on their way to each shard. */
  pending(): Map<number, number> {
    const since = this.now() - PENDING_MS;
    const pending = new Map<number, number>();
    for (const [index, times] of this.sent) {
      const live = times.filter((at) => at > since);
      if (live.length === 0) this.sent.delete(index);
      else {
        this.sent.set(index, live);
        pending.set(index, live.length);
      }
    }
    return pending;
  }
}
