/**
 * `?presence=1` (or `=batch`) on a join, checked in the Worker. Presence frames are the
 * room's own, and only envelopes tell those from what members send, so only a positioned
 * member (`?history=` or `?since=`) may ask. Pure.
 */
import type { Config } from "../../config";
import type { Parsed } from "../history/request";
import type { PositionRequest } from "../join-ticket";

export const PRESENCE_OFF = "presence is off on this service (ROOM_PRESENCE_MAX=0)";
export const PRESENCE_NEEDS_ENVELOPES =
  "presence=1 (or =batch) needs envelopes to tell the room's frames from members' messages: join with history=0 (or since=) too";
export const INVALID_PRESENCE_FLAG =
  "invalid presence flag: use ?presence=1 to follow who is here (?presence=batch: joins and leaves that come together in one frame), or ?presence=0";

/**
 * How a member follows presence: not at all, one frame per join or leave (`1`), or with
 * the joins and leaves that reach its object together in one `presence_batch` frame
 * (`batch`), which a room where hundreds watch each other join needs (docs/presence.md).
 */
export type PresenceWatch = "off" | "events" | "batch";

/** How the join watches presence. */
export function parsePresenceFlag(
  params: URLSearchParams,
  position: PositionRequest | null,
  config: Config,
): Parsed<PresenceWatch> {
  const value = params.get("presence");
  if (value === null || value === "0") return { ok: true, value: "off" };
  if (value !== "1" && value !== "batch") return { ok: false, reason: INVALID_PRESENCE_FLAG };
  if (config.roomPresenceMax === 0) return { ok: false, reason: PRESENCE_OFF };
  if (position === null) return { ok: false, reason: PRESENCE_NEEDS_ENVELOPES };
  return { ok: true, value: value === "1" ? "events" : "batch" };
}
