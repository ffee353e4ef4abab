/**
 * Room names and the `/rooms/:name` path: pure, so the rule is unit-tested apart from routing.
 */

/** Where rooms live: `/rooms/:name`. */
export const ROOMS_PATH_PREFIX = "/rooms/";

/**
 * 1 to 64 ASCII letters, digits, `_` or `-`: safe unescaped in a URL path, a log
 * line and a Durable Object name, and short enough to read in a URL bar.
 */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The 400 reason for a name that breaks the rule. */
export const INVALID_ROOM_NAME = "invalid room name: use 1 to 64 characters from A-Z, a-z, 0-9, _ and -";

/** The 400 reason for an `echo` query value other than 0 or 1. */
export const INVALID_ECHO_FLAG = "invalid echo flag: use ?echo=1 to receive your own messages, or ?echo=0";

export type RoomPath = { ok: true; name: string } | { ok: false; reason: string };

/** The room a path under `/rooms/` names; anything but one valid segment is refused. */
export function parseRoomPath(pathname: string): RoomPath {
  const name = pathname.startsWith(ROOMS_PATH_PREFIX) ? pathname.slice(ROOMS_PATH_PREFIX.length) : "";
  return ROOM_NAME_PATTERN.test(name) ? { ok: true, name } : { ok: false, reason: INVALID_ROOM_NAME };
}

export type EchoFlag = { ok: true; echo: boolean } | { ok: false; reason: string };

/** `?echo=1`: the member also receives its own messages. Absent or `0`: it does not. */
export function parseEchoFlag(params: URLSearchParams): EchoFlag {
  const value = params.get("echo");
  if (value === null || value === "0") return { ok: true, echo: false };
  if (value === "1") return { ok: true, echo: true };
  return { ok: false, reason: INVALID_ECHO_FLAG };
}
