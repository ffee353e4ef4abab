/**
 * What the directory answers: a shard asking to take a join (`Admission`, checked where
 * it arrives, since a call's answer is untyped there) and the Worker asking the room's
 * size (`RoomCount`).
 */
import { isRecord } from "../validate";
import { parseShardList, type ShardList } from "./names";

/**
 * The directory's answer to a shard asking to take a join: the shard list to relay
 * by, or why not. An answer, not an exception: a refusal is no error of the call.
 */
export type Admission =
  | { readonly kind: "admitted"; readonly list: ShardList; readonly presence?: unknown }
  | { readonly kind: "full" }
  | { readonly kind: "capped"; readonly reason: string }
  | { readonly kind: "busy"; readonly reason: string };

/** The room's size, from its directory. */
export interface RoomCount {
  /** Members in the whole room. */
  readonly connections: number;
  /** Objects the room spans. */
  readonly shards: number;
}

/** The directory's answer as it reaches the shard, or null when it is not one. */
export function parseAdmission(value: unknown): Admission | null {
  if (!isRecord(value)) return null;
  if (value.kind === "full") return { kind: "full" };
  if (value.kind === "capped")
    return typeof value.reason === "string" ? { kind: "capped", reason: value.reason } : null;
  if (value.kind === "busy") return typeof value.reason === "string" ? { kind: "busy", reason: value.reason } : null;
  const list = value.kind === "admitted" ? parseShardList(value.list) : null;
  // A watcher's presence snapshot rides along, for presence to check (../presence/frames.ts).
  if (list !== null && value.presence !== undefined) return { kind: "admitted", list, presence: value.presence };
  return list === null ? null : { kind: "admitted", list };
}
