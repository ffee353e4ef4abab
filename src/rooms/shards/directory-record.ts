/**
 * What the directory keeps in storage: the list's version and, per shard, its count,
 * the version it joined at and the newest version it confirmed. Confirmations are
 * kept so that a directory that woke up knows who was told, without asking anyone.
 */
import { logError } from "../../log";
import { isIntegerIn, isRecord } from "../validate";
import { MAX_SHARD_INDEX } from "./names";

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
