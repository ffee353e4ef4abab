/**
 * What the directory keeps in storage: the list's version and, per shard, its count,
 * the version it joined at and the newest version it confirmed, and the shards that
 * left lately. Confirmations are kept so that a directory that woke up knows who was
 * told, without asking anyone. `ShardTable` is that record in use: every change is
 * stored at once, so a wake changes nothing.
 */
import { logError } from "../../log";
import { isIntegerIn, isRecord } from "../validate";
import { DIRECTORY_SHARD, MAX_SHARD_INDEX, type ShardList } from "./names";
import { RetiredShards } from "./retired";

/** The storage key of the directory's record. */
export const DIRECTORY_KEY = "directory";

/** The part of `ctx.storage.kv` the directory uses. */
export interface DirectoryStore {
  get(key: string): unknown;
  put(key: string, value: DirectoryRecord): void;
  delete(key: string): boolean;
}

/** One shard as the directory knows it. */
export interface ShardEntry {
  /** Members it last reported, at least 1: a shard with none leaves the list. */
  readonly count: number;
  /** The list version it joined at: its incarnation. */
  readonly added: number;
  /** The newest list version it confirmed; -1 for none. */
  readonly told: number;
}

export interface DirectoryRecord {
  readonly version: number;
  /** [index, count, added, told] for every shard but the directory. */
  readonly shards: readonly (readonly [number, number, number, number])[];
  /** [index, when it left], for shards that left lately: their history may still be read. */
  readonly retired?: readonly (readonly [number, number])[];
}

const EMPTY: DirectoryRecord = { version: 0, shards: [] };

/** The stored record; an empty room when there is none, or (logged) when it is malformed. */
export function readDirectory(store: DirectoryStore, room: string): DirectoryRecord {
  const stored = store.get(DIRECTORY_KEY);
  if (stored === undefined) return EMPTY;
  const record = parseDirectoryRecord(stored);
  if (record === null) logError("room_directory_invalid", new TypeError("stored directory is malformed"), { room });
  return record ?? EMPTY;
}

/** The directory's stored record, or null when it is not one. */
export function parseDirectoryRecord(value: unknown): DirectoryRecord | null {
  if (!isRecord(value) || !isIntegerIn(value.version, 0, Number.MAX_SAFE_INTEGER) || !Array.isArray(value.shards))
    return null;
  const { version } = value;
  const shards: [number, number, number, number][] = [];
  for (const entry of value.shards) {
    if (!Array.isArray(entry) || entry.length !== 4) return null;
    const [index, count, added, told] = entry;
    if (!isIntegerIn(index, 1, MAX_SHARD_INDEX) || !isIntegerIn(count, 1, Number.MAX_SAFE_INTEGER)) return null;
    if (!isIntegerIn(added, 1, version) || !isIntegerIn(told, -1, version)) return null;
    shards.push([index, count, added, told]);
  }
  if (value.retired === undefined) return { version, shards };
  if (!Array.isArray(value.retired)) return null;
  const retired: [number, number][] = [];
  for (const entry of value.retired) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [index, at] = entry;
    if (!isIntegerIn(index, 1, MAX_SHARD_INDEX) || !isIntegerIn(at, 0, Number.MAX_SAFE_INTEGER)) return null;
    retired.push([index, at]);
  }
  return { version, shards, retired };
}

/** What a change of the table means beyond it. */
export interface TableEvents {
  /** Shard `index` joined the list (it had no entry). */
  readonly joined: (index: number) => void;
  /** Shard `index` left the list (its count fell to 0). */
  readonly left: (index: number) => void;
  /** The list changed: it has a new version. */
  readonly changed: (list: ShardList) => void;
}

/** The directory's record in memory, written to storage on every change. */
export class ShardTable {
  private version: number;
  private readonly shards: Map<number, ShardEntry>;
  private readonly retired: RetiredShards;

  constructor(
    private readonly store: DirectoryStore,
    room: string,
    private readonly now: () => number,
    private readonly events: TableEvents,
  ) {
    const record = readDirectory(store, room);
    this.version = record.version;
    this.shards = new Map(record.shards.map(([index, count, added, told]) => [index, { count, added, told }]));
    this.retired = new RetiredShards(record.retired ?? []);
  }

  /** The shards the room spans: the directory, then every shard with members, ascending. */
  get list(): ShardList {
    const indexes = [...this.shards.keys()].sort((a, b) => a - b);
    const added = indexes.map((index) => this.shards.get(index)?.added ?? 0);
    return { version: this.version, shards: [DIRECTORY_SHARD, ...indexes], added: [0, ...added] };
  }

  /** Shards with members, the directory not counted. */
  get size(): number {
    return this.shards.size;
  }

  has(index: number): boolean {
    return this.shards.has(index);
  }

  indexes(): number[] {
    return [...this.shards.keys()];
  }

  /** Each shard's last count. */
  counts(): Map<number, number> {
    return new Map([...this.shards].map(([index, entry]) => [index, entry.count]));
  }

  count(index: number): number | undefined {
    return this.shards.get(index)?.count;
  }

  /** The version shard `index` joined at (its incarnation); the current one for a shard not in the list yet. */
  added(index: number): number {
    return this.shards.get(index)?.added ?? this.version;
  }

  /** The newest version shard `index` confirmed; -1 for none. */
  told(index: number): number {
    return this.shards.get(index)?.told ?? -1;
  }

  /** Shard `index` confirmed list `version`. */
  confirmed(index: number, version: number): void {
    const entry = this.shards.get(index);
    if (entry === undefined || entry.told >= version) return;
    this.shards.set(index, { ...entry, told: version });
    this.save();
  }

  /** Records a count; true when the shard list changed (a shard joined or left). */
  update(index: number, count: number): boolean {
    const entry = this.shards.get(index);
    if ((entry?.count ?? 0) === count) return false;
    const joined = entry === undefined;
    const left = count === 0;
    if (joined || left) this.version = Math.max(this.version + 1, this.now());
    if (joined) this.events.joined(index);
    if (left) {
      this.events.left(index);
      this.shards.delete(index);
      this.retired.add(index, this.now());
    } else this.shards.set(index, { count, added: entry?.added ?? this.version, told: entry?.told ?? -1 });
    this.save();
    if (joined || left) this.events.changed(this.list);
    return joined || left;
  }

  /** Every object whose history may hold the room's messages: its shards, and those that left lately. */
  origins(): number[] {
    this.retired.prune(this.now());
    return [...new Set([DIRECTORY_SHARD, ...this.shards.keys(), ...this.retired.indexes()])].sort((a, b) => a - b);
  }

  /** Forgets the shards that left `RETIRED_MS` ago. */
  pruneRetired(): void {
    if (this.retired.prune(this.now())) this.save();
  }

  /** When the first shard that left lately is to be forgotten; null with none. */
  forgetAt(): number | null {
    return this.retired.forgetAt();
  }

  /** An empty room that remembers no shard keeps nothing. */
  delete(): void {
    this.store.delete(DIRECTORY_KEY);
  }

  private save(): void {
    const record: DirectoryRecord = {
      version: this.version,
      shards: [...this.shards].map(([index, { count, added, told }]) => [index, count, added, told]),
      ...(this.retired.size > 0 ? { retired: this.retired.entries() } : {}),
    };
    this.store.put(DIRECTORY_KEY, record);
  }
}
