/**
 * A shard's copy of the room's shard list (shard 0 has the directory instead), kept in
 * storage so that a shard that woke relays by the list it last had, and read from
 * storage once per wake: every relayed batch asks for it.
 */
import { parseShardList, type ShardList } from "./names";

/** The storage key of a shard's copy of the room's shard list. */
export const SHARDS_KEY = "shards";

/** The part of `ctx.storage.kv` the copy uses. */
export interface ListStore {
  get(key: string): unknown;
  put(key: string, value: ShardList): void;
  delete(key: string): boolean;
}

export class StoredList {
  /** Undefined until read. */
  private cached: ShardList | null | undefined;

  constructor(private readonly store: ListStore) {}

  /** The list as stored; null when the shard keeps none. */
  get list(): ShardList | null {
    if (this.cached === undefined) this.cached = parseShardList(this.store.get(SHARDS_KEY));
    return this.cached;
  }

  /** Keeps `list` unless the copy is as new or newer; true when it was kept. */
  keep(list: ShardList): boolean {
    const stored = this.list;
    if (stored !== null && stored.version >= list.version) return false;
    this.store.put(SHARDS_KEY, list);
    this.cached = list;
    return true;
  }

  /** Out of the room with nothing owed: the shard keeps nothing in storage. */
  forget(): void {
    this.store.delete(SHARDS_KEY);
    this.cached = null;
  }
}
