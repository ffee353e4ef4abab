/**
 * What a room counts its members by, over all its objects, beside their number: the
 * token's `sub` (a user) and the client's address. Each member socket carries its keys
 * as hibernation tags, so an object counts a key's live sockets exactly, after any
 * wake, without keeping an index. Pure.
 */
import { MAX_ROOM_CONNECTIONS } from "../../config";
import { type MemberInfo, parseInfo } from "../access/info";
import { MAX_SUBJECT_LENGTH } from "../access/token";
import { isIntegerIn, isRecord } from "../validate";

/** What a key counts: a user's connections, an address's, or the room's presence watchers (`WATCH_KEY`). */
export type KeyKind = "user" | "address" | "watch";

const PREFIX: Record<KeyKind, string> = { user: "user:", address: "address:", watch: "watch:" };
/** The one key of kind `watch`: members that joined with `?presence=1`, counted over the room like the others. */
export const WATCH_KEY = "watch:presence";
/** The platform's cap on a hibernation tag's length; a key is a tag. */
export const MAX_KEY_LENGTH = 256;

/** Most connections per key in one room, by kind; 0: no cap. */
export interface KeyCaps {
  readonly user: number;
  readonly address: number;
}

/** A join's keys (`user:<id>`, `address:<address key>`, `WATCH_KEY`), and the caps it joins under. */
export interface JoinKeys {
  readonly keys: readonly string[];
  readonly caps: KeyCaps;
  /** Its token's `info`, which presence shows with its user. */
  readonly info?: MemberInfo;
}

/** A key's connections on one object: members, and joins it holds a place for. */
export type KeyCount = readonly [key: string, count: number];

/** The keys of a member with identity `user` (null: none) from address key `address` (null: unknown), watching presence if `watch`. */
export function joinKeys(user: string | null, address: string | null, caps: KeyCaps, watch = false): JoinKeys {
  const keys: string[] = [];
  if (user !== null) keys.push(userKey(user));
  if (address !== null) keys.push(`${PREFIX.address}${address}`);
  if (watch) keys.push(WATCH_KEY);
  return { keys, caps };
}

/** The key of user `id`. */
export function userKey(id: string): string {
  return `${PREFIX.user}${id}`;
}

/** The user a key names, or null when it names none. */
export function userOf(key: string): string | null {
  return kindOf(key) === "user" ? key.slice(PREFIX.user.length) : null;
}

/** The kind of a key, or null when it is none of ours (a tag of something else). */
export function kindOf(key: string): KeyKind | null {
  if (key.startsWith(PREFIX.user)) return "user";
  if (key.startsWith(PREFIX.address)) return "address";
  if (key === WATCH_KEY) return "watch";
  return null;
}

/** The cap a key joins under; 0: none. */
export function capOf(key: string, caps: KeyCaps): number {
  const kind = kindOf(key);
  return kind === "user" || kind === "address" ? caps[kind] : 0;
}

/** The close reason (with 1008) for a join past a key's cap: it names the limit, so an operator knows which to raise. */
export function capReason(key: string, cap: number): string {
  return kindOf(key) === "user"
    ? `too many connections for this user in this room (ROOM_MAX_PER_USER=${cap})`
    : `too many connections from this address in this room (ROOM_MAX_PER_ADDRESS=${cap})`;
}

/** Join keys from a ticket or a call, or null when they are not. */
export function parseJoinKeys(value: unknown): JoinKeys | null {
  if (!isRecord(value) || !isRecord(value.caps) || !Array.isArray(value.keys) || value.keys.length > 3) return null;
  const { user, address } = value.caps;
  if (!isIntegerIn(user, 0, MAX_ROOM_CONNECTIONS) || !isIntegerIn(address, 0, MAX_ROOM_CONNECTIONS)) return null;
  const keys: string[] = [];
  for (const key of value.keys) if (isKey(key)) keys.push(key);
  if (keys.length !== value.keys.length) return null;
  if (value.info === undefined) return { keys, caps: { user, address } };
  const info = parseInfo(value.info);
  return info === null ? null : { keys, caps: { user, address }, info };
}

/** Key counts from a call, or null when they are not. */
export function parseKeyCounts(value: unknown): KeyCount[] | null {
  if (!Array.isArray(value)) return null;
  const counts: KeyCount[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [key, count] = entry;
    if (!isKey(key) || !isIntegerIn(count, 0, Number.MAX_SAFE_INTEGER)) return null;
    counts.push([key, count]);
  }
  return counts;
}

function isKey(value: unknown): value is string {
  if (typeof value !== "string" || value.length > MAX_KEY_LENGTH) return false;
  const kind = kindOf(value);
  const rest = kind === null ? 0 : value.length - PREFIX[kind].length;
  return kind !== null && rest > 0 && (kind !== "user" || rest <= MAX_SUBJECT_LENGTH);
}
