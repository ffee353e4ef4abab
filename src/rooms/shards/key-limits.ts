/**
 * ROOM_MAX_PER_USER and ROOM_MAX_PER_ADDRESS, checked by the directory on every join
 * it places or admits, over all the room's objects: its own sockets counted live (by
 * their tags), the other shards' counts as their readings told it (./key-counts.ts).
 * A join costs no call while the counts it knows, taking every shard whose keys it
 * does not all know as full of this key, keep the key within its cap: always in a
 * room no larger than the cap. Otherwise the directory asks those shards for all
 * their keys (once per shard, shared by the joins waiting), and before refusing it
 * asks again the shards whose count of the key is old, since a restart may have
 * emptied them. A shard that does not answer is taken at what is known of it: the
 * caps are protection, not a reason to refuse everyone.
 */
import { KeyCounts } from "./key-counts";
import { capOf, capReason, type JoinKeys } from "./member-keys";
import { DIRECTORY_SHARD } from "./names";

/** Before a join is refused for a key's cap, that key's counts older than this are asked again. */
export const KEY_RECHECK_MS = 1_000;

/** What the key caps reach beyond themselves. */
export interface KeyLimitPorts {
  /** Open sockets with `key` on the directory's own object. */
  readonly local: (key: string) => number;
  /** Members each other shard last reported. */
  readonly members: () => ReadonlyMap<number, number>;
  /** Asks shard `index` for its count with all its keys, and records the answer; never rejects. */
  readonly census: (index: number) => Promise<unknown>;
  readonly now: () => number;
}

/** A join's check: why it is refused (null: it is not), and whether the check waited on other shards. */
export interface KeyCheck {
  readonly reason: string | null;
  readonly waited: boolean;
}

export class KeyLimits {
  readonly counts = new KeyCounts();
  private readonly asking = new Map<number, Promise<unknown>>();

  constructor(private readonly ports: KeyLimitPorts) {}

  /**
   * Checks a join counted at shard `at`: that shard's reading includes it, except at
   * the directory, which checks a join before it is counted anywhere.
   */
  async check(join: JoinKeys, at: number): Promise<KeyCheck> {
    const capped = join.keys.filter((key) => capOf(key, join.caps) > 0);
    if (capped.length === 0) return { reason: null, waited: false };
    const asked = new Set<number>();
    for (const key of capped) for (const index of this.unsure(key, capOf(key, join.caps), at)) asked.add(index);
    if (asked.size > 0) await Promise.all([...asked].map((index) => this.ask(index)));
    const waited = asked.size > 0;
    for (const key of capped) {
      const cap = capOf(key, join.caps);
      if (this.tally(key, at).known > cap) return { reason: capReason(key, cap), waited };
    }
    return { reason: null, waited };
  }

  /** The shards to ask before deciding: none when even the worst case keeps `key` within `cap`. */
  private unsure(key: string, cap: number, at: number): number[] {
    const { known, bound, others } = this.tally(key, at);
    if (bound <= cap) return [];
    const old = this.ports.now() - KEY_RECHECK_MS;
    return others.filter(
      (index) => !this.counts.complete(index) || (known > cap && this.counts.heardBefore(index, key, old)),
    );
  }

  /** `key`'s connections with the join: as known, and at most (a shard not fully known may hold all its members). */
  private tally(key: string, at: number): { known: number; bound: number; others: number[] } {
    let known = this.ports.local(key) + (at === DIRECTORY_SHARD ? 1 : this.counts.count(at, key));
    let bound = known;
    const others: number[] = [];
    for (const [index, members] of this.ports.members()) {
      if (index === at) continue;
      const count = this.counts.count(index, key);
      known += count;
      bound += this.counts.complete(index) ? count : Math.max(count, members);
      others.push(index);
    }
    return { known, bound, others };
  }

  private ask(index: number): Promise<unknown> {
    let asking = this.asking.get(index);
    if (asking === undefined) {
      asking = this.ports.census(index).finally(() => this.asking.delete(index));
      this.asking.set(index, asking);
    }
    return asking;
  }
}
