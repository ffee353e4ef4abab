/**
 * The objects of one room. Shard 0 is `idFromName(name)`, the one object a room
 * has always been; it is also the room's directory. Shard i > 0 is
 * `idFromName("name#i")`: `#` is never in a room name, so no shard of one room
 * is another room's object. Pure, apart from `shardStub`.
 */

import { ROOM_NAME_PATTERN } from "../name";
import { isIntegerIn, isRecord } from "../validate";

/**
 * The `ROOMS` namespace and a stub of one room object, typed by the `Room` class through
 * the generated `Env`, so the rooms' parts need not import room.ts (which imports them).
 */
export type Rooms = Env["ROOMS"];
export type RoomStub = ReturnType<Rooms["get"]>;

/** The shard that is also the room's directory, and the only one a small room ever has. */
export const DIRECTORY_SHARD = 0;
/** A bound on shard indexes: far more than any valid config can fill (each shard holds at least one member). */
export const MAX_SHARD_INDEX = 1_000_000;

const SEPARATOR = "#";
const INDEX_PATTERN = /^[1-9][0-9]{0,6}$/;

/** Which room an object belongs to, and which of its shards it is. */
export interface ShardAddress {
  readonly room: string;
  readonly index: number;
}

/** The Durable Object name of shard `index` of `room`. */
export function shardName(room: string, index: number): string {
  return index === DIRECTORY_SHARD ? room : `${room}${SEPARATOR}${index}`;
}

/** The room and shard an object's name says, or null for a name no room uses. */
export function parseShardName(name: string): ShardAddress | null {
  const [room = "", index, ...rest] = name.split(SEPARATOR);
  if (!ROOM_NAME_PATTERN.test(room) || rest.length > 0) return null;
  if (index === undefined) return { room, index: DIRECTORY_SHARD };
  if (!INDEX_PATTERN.test(index)) return null;
  return { room, index: Number(index) };
}

/** The stub of shard `index` of `room`. */
export function shardStub(rooms: Rooms, room: string, index: number): RoomStub {
  return rooms.get(rooms.idFromName(shardName(room, index)));
}

/**
 * The shards a room spans, as its directory last announced them. `version` grows
 * with every change, so an object keeps the newest list whatever order announcements
 * arrive in. `added[i]` is the version at which `shards[i]` last joined the room: a
 * shard that left and came back is a new incarnation, and nothing meant for its
 * previous life may reach its new members.
 */
export interface ShardList {
  readonly version: number;
  /** Ascending, always starting with the directory. */
  readonly shards: readonly number[];
  /** The version each shard (same position) joined at; the directory's is 0. */
  readonly added: readonly number[];
}

/** What a room is before it ever needs a second object. */
export const SINGLE_SHARD: ShardList = { version: 0, shards: [DIRECTORY_SHARD], added: [0] };

/** The version at which shard `index` joined by `list`, or null when it is not in it. */
export function incarnationOf(list: ShardList, index: number): number | null {
  const at = list.shards.indexOf(index);
  return at < 0 ? null : (list.added[at] ?? null);
}

/** A shard list read from storage or a call, or null when it is not one. */
export function parseShardList(value: unknown): ShardList | null {
  if (!isRecord(value) || !isIntegerIn(value.version, 0, Number.MAX_SAFE_INTEGER)) return null;
  const { version, shards, added } = value;
  if (!Array.isArray(shards) || !Array.isArray(added) || added.length !== shards.length) return null;
  const ascending: number[] = [];
  for (const index of shards) {
    if (!isIntegerIn(index, (ascending.at(-1) ?? -1) + 1, MAX_SHARD_INDEX)) return null;
    ascending.push(index);
  }
  const versions: number[] = [];
  for (const at of added) {
    if (!isIntegerIn(at, 0, version)) return null;
    versions.push(at);
  }
  return ascending[0] === DIRECTORY_SHARD ? { version, shards: ascending, added: versions } : null;
}
