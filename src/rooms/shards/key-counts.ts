/**
 * What the directory knows of each other shard's key counts (./member-keys.ts), in
 * memory only. Each count is stamped like the shard's count readings
 * (./count-reading.ts), per key, so an older reading of a key never overwrites a
 * newer one, whichever call carried it. A shard's counts are *complete* when every key
 * it holds is known: when it joined the room in this life of the directory (every
 * join there is admitted here), or after it answered a census with all its keys.
 * Known counts may be too high (a shard restarted and lost its sockets), never too
 * low, so a refusal is checked with the shard first. Pure.
 */
import type { KeyCount } from "./member-keys";

/** Key counts as one reading of a shard carries them. */
export interface KeyReading {
  readonly incarnation: string;
  readonly seq: number;
  /** The keys whose counts changed (or those of a join), or all the shard holds. */
  readonly keys?: readonly KeyCount[];
  /** True when `keys` holds every key of the shard: the others are at 0. */
  readonly full?: boolean;
}

interface Entry {
  readonly count: number;
  readonly incarnation: string;
  readonly seq: number;
  /** When it was heard. */
  readonly at: number;
}

interface ShardKeys {
  complete: boolean;
  readonly keys: Map<string, Entry>;
}

export class KeyCounts {
  private readonly shards = new Map<number, ShardKeys>();

  /** Records a reading of shard `index`, key by key, where it is newer than what is known. */
  heard(index: number, reading: KeyReading, now: number): void {
    const shard = this.of(index);
    const newer = (entry: Entry | undefined) =>
      entry === undefined || entry.incarnation !== reading.incarnation || entry.seq < reading.seq;
    const { incarnation, seq, keys = [] } = reading;
    for (const [key, count] of keys) {
      if (!newer(shard.keys.get(key))) continue;
      if (count === 0) shard.keys.delete(key);
      else shard.keys.set(key, { count, incarnation, seq, at: now });
    }
    if (reading.full !== true) return;
    const listed = new Set(keys.map(([key]) => key));
    for (const [key, entry] of shard.keys) if (!listed.has(key) && newer(entry)) shard.keys.delete(key);
    shard.complete = true;
  }

  /** Shard `index` joined the room: it had no members, so what is heard of it from now on is all it holds. */
  joined(index: number): void {
    this.of(index).complete = true;
  }

  /** Shard `index` left the room: it holds nothing. */
  left(index: number): void {
    this.shards.delete(index);
  }

  /** A join admitted into shard `index` was refused after all: its place there is given back. */
  withdraw(index: number, keys: readonly string[]): void {
    const shard = this.shards.get(index);
    for (const key of keys) {
      const entry = shard?.keys.get(key);
      if (entry === undefined) continue;
      if (entry.count <= 1) shard?.keys.delete(key);
      else shard?.keys.set(key, { ...entry, count: entry.count - 1 });
    }
  }

  /** True when every key shard `index` holds is known. */
  complete(index: number): boolean {
    return this.shards.get(index)?.complete ?? false;
  }

  /** The known count of `key` on shard `index`. */
  count(index: number, key: string): number {
    return this.shards.get(index)?.keys.get(key)?.count ?? 0;
  }

  /** Every key with a count known on shard `index`. */
  keysOf(index: number): string[] {
    return [...(this.shards.get(index)?.keys.keys() ?? [])];
  }

  /** True when `key`'s count on shard `index` is known and was heard before `time`. */
  heardBefore(index: number, key: string, time: number): boolean {
    const entry = this.shards.get(index)?.keys.get(key);
    return entry !== undefined && entry.at < time;
  }

  private of(index: number): ShardKeys {
    let shard = this.shards.get(index);
    if (shard === undefined) {
      shard = { complete: false, keys: new Map() };
      this.shards.set(index, shard);
    }
    return shard;
  }
}
