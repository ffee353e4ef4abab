/**
 * `?presence=1` on a join, checked in the Worker. Presence frames are the room's own,
 * and only envelopes tell those from what members send, so only a positioned member
 * (`?history=` or `?since=`) may ask. Pure.
 */
import type { Config } from "../../config";
import type { Parsed } from "../history/request";
import type { PositionRequest } from "../join-ticket";

export const PRESENCE_OFF = "presence is off on this service (ROOM_PRESENCE_MAX=0)";
export const PRESENCE_NEEDS_ENVELOPES =
  "presence=1 needs envelopes to tell the room's frames from members' messages: join with history=0 (or since=) too";
export const INVALID_PRESENCE_FLAG = "invalid presence flag: use ?presence=1 to follow who is here, or ?presence=0";

/** Whether the join watches presence. */
export function parsePresenceFlag(
  params: URLSearchParams,
  position: PositionRequest | null,
  config: Config,
): Parsed<boolean> {
  const value = params.get("presence");
  if (value === null || value === "0") return { ok: true, value: false };
  if (value !== "1") return { ok: false, reason: INVALID_PRESENCE_FLAG };
  if (config.roomPresenceMax === 0) return { ok: false, reason: PRESENCE_OFF };
  if (position === null) return { ok: false, reason: PRESENCE_NEEDS_ENVELOPES };
  return { ok: true, value: true };
}
