/**
 * Where a join goes, and the room's total cap. The directory (shard 0) decides
 * from its own live count and the counts the other shards reported; each shard
 * then checks its own places itself, since only it knows them exactly. Pure.
 */
import { DIRECTORY_SHARD, MAX_SHARD_INDEX } from "./names";

/** The close reason (with 1013) for a join past ROOM_MAX_CONNECTIONS. */
export const ROOM_FULL_REASON = "room full";
/** The close reason (with 1013) for a join the room could not place in time: the shards were changing. */
export const ROOM_BUSY_REASON = "room busy, try again";

export type Placement =
  | { kind: "here" }
  | { kind: "shard"; index: number }
  | { kind: "full" }
  | { kind: "capped"; reason: string };

/** What the directory knows of the other shards: members each last reported, and joins sent their way since. */
export interface Loads {
  readonly counts: ReadonlyMap<number, number>;
  readonly pending: ReadonlyMap<number, number>;
}

/** Members in the whole room: the directory's own and those the other shards reported. */
export function roomTotal(local: number, counts: ReadonlyMap<number, number>): number {
  let total = local;
  for (const count of counts.values()) total += count;
  return total;
}

/**
 * The directory's answer to a join: at home while it has places (a room that fits
 * one object stays in it), else the lowest shard with places by its counts, else a
 * new shard at the lowest free index, so the room stays as few objects as it can.
 */
export function place(local: number, loads: Loads, shardCap: number, roomCap: number): Placement {
  if (roomTotal(local, loads.counts) >= roomCap) return { kind: "full" };
  if (local < shardCap) return { kind: "here" };
  const known = [...new Set([...loads.counts.keys(), ...loads.pending.keys()])].sort((a, b) => a - b);
  for (const index of known) {
    if ((loads.counts.get(index) ?? 0) + (loads.pending.get(index) ?? 0) < shardCap) return { kind: "shard", index };
  }
  let index = DIRECTORY_SHARD + 1;
  for (const used of known) if (used === index) index++;
  return { kind: "shard", index };
}

/**
 * True when shard `index`, about to hold `occupancy` members (the join included),
 * keeps the room within `roomCap`. The directory checks this when the shard asks,
 * so racing joins on different shards never pass the total together.
 */
export function admits(
  local: number,
  counts: ReadonlyMap<number, number>,
  index: number,
  occupancy: number,
  roomCap: number,
): boolean {
  return roomTotal(local, counts) - (counts.get(index) ?? 0) + occupancy <= roomCap;
}

/**
 * A shard's answer to a join it does not take: "join shard `index` instead". Only
 * the Worker sees it, and follows it, so each socket ends in the object that holds
 * it and no object ever carries another's frames.
 */
export const PLACEMENT_STATUS = 409;
export const PLACEMENT_HEADER = "X-Room-Shard";

/** The answer sending a join to shard `index`. */
export function placeAt(index: number): Response {
  return new Response(null, { status: PLACEMENT_STATUS, headers: { [PLACEMENT_HEADER]: String(index) } });
}

/** The shard a join answer sends the join to, or null when it is not such an answer. */
export function placedAt(response: Response): number | null {
  if (response.status !== PLACEMENT_STATUS) return null;
  const value = response.headers.get(PLACEMENT_HEADER) ?? "";
  const index = /^(0|[1-9][0-9]{0,6})$/.test(value) ? Number(value) : -1;
  return index >= 0 && index <= MAX_SHARD_INDEX ? index : null;
}
