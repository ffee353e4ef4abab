/**
 * What a room counts its members by, over all its objects, beside their number: the
 * token's `sub` (a user) and the client's address. Each member socket carries its keys
 * as hibernation tags, so an object counts a key's live sockets exactly, after any
 * wake, without keeping an index. Pure.
 */
import { MAX_ROOM_CONNECTIONS } from "../../config";
import { MAX_SUBJECT_LENGTH } from "../access/token";
import { isIntegerIn, isRecord } from "../validate";

/** What a key counts. */
export type KeyKind = "user" | "address";

const PREFIX: Record<KeyKind, string> = { user: "user:", address: "address:" };
/** The platform's cap on a hibernation tag's length; a key is a tag. */
export const MAX_KEY_LENGTH = 256;

/** Most connections per key in one room, by kind; 0: no cap. */
export interface KeyCaps {
  readonly user: number;
  readonly address: number;
}

/** A join's keys (`user:<sub>`, `address:<address key>`), and the caps it joins under. */
export interface JoinKeys {
  readonly keys: readonly string[];
  readonly caps: KeyCaps;
}

/** A key's connections on one object: members, and joins it holds a place for. */
export type KeyCount = readonly [key: string, count: number];

/** The keys of a member with token subject `sub` (null: open room) from address key `address` (null: unknown). */
export function joinKeys(sub: string | null, address: string | null, caps: KeyCaps): JoinKeys {
  const keys: string[] = [];
  if (sub !== null) keys.push(`${PREFIX.user}${sub}`);
  if (address !== null) keys.push(`${PREFIX.address}${address}`);
  return { keys, caps };
}

/** The kind of a key, or null when it is none of ours (a tag of something else). */
export function kindOf(key: string): KeyKind | null {
  if (key.startsWith(PREFIX.user)) return "user";
  if (key.startsWith(PREFIX.address)) return "address";
  return null;
}

/** The cap a key joins under; 0: none. */
export function capOf(key: string, caps: KeyCaps): number {
  const kind = kindOf(key);
  return kind === null ? 0 : caps[kind];
}

/** The close reason (with 1008) for a join past a key's cap: it names the limit, so an operator knows which to raise. */
export function capReason(key: string, cap: number): string {
  return kindOf(key) === "user"
    ? `too many connections for this user in this room (ROOM_MAX_PER_USER=${cap})`
    : `too many connections from this address in this room (ROOM_MAX_PER_ADDRESS=${cap})`;
}

/** Join keys from a ticket or a call, or null when they are not. */
export function parseJoinKeys(value: unknown): JoinKeys | null {
  if (!isRecord(value) || !isRecord(value.caps) || !Array.isArray(value.keys) || value.keys.length > 2) return null;
  const { user, address } = value.caps;
  if (!isIntegerIn(user, 0, MAX_ROOM_CONNECTIONS) || !isIntegerIn(address, 0, MAX_ROOM_CONNECTIONS)) return null;
  const keys: string[] = [];
  for (const key of value.keys) if (isKey(key)) keys.push(key);
  return keys.length === value.keys.length ? { keys, caps: { user, address } } : null;
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
