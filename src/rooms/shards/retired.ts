/**
 * The shards that left a room lately, as its directory remembers them: their history
 * may still hold messages a member resumes from, so a catch-up reads them as origins,
 * also once the room has emptied. Forgotten after `RETIRED_MS`.
 */

/** At least the longest history window (`ROOM_HISTORY_SECONDS` is at most a day). */
export const RETIRED_MS = 24 * 60 * 60 * 1000;

export class RetiredShards {
  private readonly left: Map<number, number>;

  /** @param entries [index, when it left], as stored */
  constructor(entries: readonly (readonly [number, number])[]) {
    this.left = new Map(entries);
  }

  get size(): number {
    return this.left.size;
  }

  /** The indexes remembered. */
  indexes(): number[] {
    return [...this.left.keys()];
  }

  /** [index, when it left], for storage. */
  entries(): [number, number][] {
    return [...this.left];
  }

  /** Shard `index` left at `at`. */
  add(index: number, at: number): void {
    this.left.set(index, at);
  }

  /** When the first of them is to be forgotten; null with none. */
  forgetAt(): number | null {
    return this.left.size === 0 ? null : Math.min(...this.left.values()) + RETIRED_MS;
  }

  /** Forgets those that left `RETIRED_MS` before `now`; true when some were. */
  prune(now: number): boolean {
    const before = this.left.size;
    for (const [index, at] of this.left) if (at <= now - RETIRED_MS) this.left.delete(index);
    return this.left.size !== before;
  }
}
