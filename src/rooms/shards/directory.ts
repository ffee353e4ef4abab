/**
 * The room's directory, kept by shard 0: which shards the room spans and how many
 * members each other shard last reported. It lives in Durable Object storage, so
 * the room's shape survives eviction; a change of the shard list is announced to
 * every shard, which keeps its own copy, so no message ever waits on a lookup.
 */
import { logError } from "../../log";
import { isIntegerIn, isRecord } from "../validate";
import { DIRECTORY_SHARD, MAX_SHARD_INDEX, parseShardList, type ShardList } from "./names";
import { admits, type Placement, place, roomTotal } from "./placement";

/** The storage key of the directory's record. */
export const DIRECTORY_KEY = "directory";

/** The part of `ctx.storage.kv` the directory uses. */
export interface DirectoryStore {
  get(key: string): unknown;
  put(key: string, value: DirectoryRecord): void;
}

/** What the directory keeps in storage. */
export interface DirectoryRecord {
  readonly version: number;
  /** [shard index, members], for every shard but the directory. */
  readonly counts: readonly (readonly [number, number])[];
}

/**
 * The directory's answer to a shard asking to take a join: the shard list to relay
 * by, or why not. An answer, not an exception: a refusal is no error of the call.
 */
export type Admission =
  | { readonly kind: "admitted"; readonly list: ShardList }
  | { readonly kind: "full" }
  | { readonly kind: "busy"; readonly reason: string };

/** The room's size, from its directory. */
export interface RoomCount {
  /** Members in the whole room. */
  readonly connections: number;
  /** Objects the room spans. */
  readonly shards: number;
}

/** Tells shard `index` the room's shard list; rejects when it cannot be reached. */
export type Announce = (index: number, list: ShardList) => Promise<unknown>;

export class Directory {
  private version = 0;
  private readonly counts = new Map<number, number>();
  /** Joins sent to each shard since it last spoke: a hint that spreads racing joins, never a count. */
  private readonly pending = new Map<number, number>();
  /** The list version each shard confirmed, in memory only: after a wake every shard is told again. */
  private readonly confirmed = new Map<number, number>();

  constructor(
    private readonly store: DirectoryStore,
    private readonly announce: Announce,
    private readonly room: string,
    /** Called with the new list whenever it changes, before the other shards hear of it. */
    private readonly onChange: (list: ShardList) => void,
  ) {
    const record = parseDirectoryRecord(store.get(DIRECTORY_KEY));
    if (record === null && store.get(DIRECTORY_KEY) !== undefined)
      logError("room_directory_invalid", new TypeError("stored directory is malformed"), { room });
    this.version = record?.version ?? 0;
    for (const [index, count] of record?.counts ?? []) this.counts.set(index, count);
  }

  /** The shards the room spans: the directory, then every shard with members, ascending. */
  get list(): ShardList {
    return { version: this.version, shards: [DIRECTORY_SHARD, ...[...this.counts.keys()].sort((a, b) => a - b)] };
  }

  /** Members in the whole room, with `local` the directory's own. */
  members(local: number): number {
    return roomTotal(local, this.counts);
  }

  /** The room's size, with `local` the directory's own members. */
  count(local: number): RoomCount {
    return { connections: this.members(local), shards: this.counts.size + 1 };
  }

  /** Where a join goes; a join sent to another shard is remembered until that shard speaks. */
  place(local: number, shardCap: number, roomCap: number): Placement {
    const placement = place(local, { counts: this.counts, pending: this.pending }, shardCap, roomCap);
    if (placement.kind === "shard") this.pending.set(placement.index, (this.pending.get(placement.index) ?? 0) + 1);
    return placement;
  }

  /**
   * Shard `index` asks to take a join, which would make it hold `occupancy` members.
   * Admitted, it gets the shard list once every shard has it, so no shard ever
   * misses relaying to a member that was let in. Busy when some shard could not be
   * told: the join is refused, and may be tried again.
   */
  async admit(index: number, occupancy: number, roomCap: number, local: number): Promise<Admission> {
    this.pending.delete(index);
    if (!admits(local, this.counts, index, occupancy, roomCap)) {
      if (this.counts.has(index)) this.update(index, occupancy - 1);
      return { kind: "full" };
    }
    this.update(index, occupancy);
    const failed = await this.announceAll(index);
    if (failed.length > 0) return { kind: "busy", reason: `shards ${failed.join(", ")} could not be told of the list` };
    this.confirmed.set(index, this.version);
    return { kind: "admitted", list: this.list };
  }

  /**
   * Shard `index` now holds `occupancy` members; at 0 it leaves the room. Any shard
   * that has not confirmed the current list (it could not be told, or the directory
   * woke and does not know) is told now: a no-op when all have.
   */
  async report(index: number, occupancy: number): Promise<void> {
    this.pending.delete(index);
    this.update(index, occupancy);
    await this.announceAll(null);
  }

  /** Records a count; true when the shard list changed (a shard joined or left). */
  private update(index: number, count: number): boolean {
    if ((this.counts.get(index) ?? 0) === count) return false;
    const joined = count > 0 && !this.counts.has(index);
    const left = count === 0 && this.counts.delete(index);
    if (count > 0) this.counts.set(index, count);
    if (joined || left) this.version++;
    this.store.put(DIRECTORY_KEY, { version: this.version, counts: [...this.counts] });
    if (joined || left) this.onChange(this.list);
    return joined || left;
  }

  /** Tells every shard (but `except`) that has not confirmed the current list; returns those that failed. */
  private async announceAll(except: number | null): Promise<number[]> {
    const list = this.list;
    const targets = list.shards.filter(
      (index) => index !== DIRECTORY_SHARD && index !== except && (this.confirmed.get(index) ?? -1) < list.version,
    );
    const results = await Promise.allSettled(targets.map((index) => this.announce(index, list)));
    const failed: number[] = [];
    results.forEach((result, at) => {
      const index = targets[at] ?? -1;
      if (result.status === "fulfilled") {
        this.confirmed.set(index, Math.max(this.confirmed.get(index) ?? -1, list.version));
      } else {
        failed.push(index);
        logError("room_announce_failed", result.reason, { room: this.room, shard: DIRECTORY_SHARD, to: index });
      }
    });
    return failed;
  }
}

/** The directory's answer as it reaches the shard, or null when it is not one. */
export function parseAdmission(value: unknown): Admission | null {
  if (!isRecord(value)) return null;
  if (value.kind === "full") return { kind: "full" };
  if (value.kind === "busy") return typeof value.reason === "string" ? { kind: "busy", reason: value.reason } : null;
  const list = value.kind === "admitted" ? parseShardList(value.list) : null;
  return list === null ? null : { kind: "admitted", list };
}

/** The directory's stored record, or null when it is missing or not one. */
export function parseDirectoryRecord(value: unknown): DirectoryRecord | null {
  if (!isRecord(value) || !isIntegerIn(value.version, 0, Number.MAX_SAFE_INTEGER) || !Array.isArray(value.counts))
    return null;
  const counts: [number, number][] = [];
  for (const entry of value.counts) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [index, count] = entry;
    if (!isIntegerIn(index, 1, MAX_SHARD_INDEX) || !isIntegerIn(count, 1, Number.MAX_SAFE_INTEGER)) return null;
    counts.push([index, count]);
  }
  return { version: value.version, counts };
}
