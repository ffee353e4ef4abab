/**
 * Who may do what in a room, decided in the Worker before any room object is touched:
 * join (read, and send if the token says `write`), read its count, publish over HTTP.
 * With `ROOM_AUTH=open` everyone may do everything, as before tokens existed.
 */
import type { RoomAuth } from "../../config";
import { carriedToken, TOKEN_IN_URL } from "./carrier";
import type { MemberInfo } from "./info";
import { type Grant, grantsRoom, type TokenProblem, verifyToken } from "./token";

/** The close reason (4403) and 403 text for a token that does not name the room. */
export const WRONG_ROOM = "token not valid for this room";
/** The 403 text for a token without `write` on a publish. */
export const READ_ONLY = "token does not allow publishing (write)";

/** What a member or a publisher may do, carried to the room with the join. */
export interface Access {
  /** The token's `sub`; null in an open room. */
  readonly sub: string | null;
  readonly write: boolean;
  /** When the token expires (ms since the epoch); null in an open room. */
  readonly expires: number | null;
  /** The token's `info` claim, for presence; null in an open room or without one. */
  readonly info: MemberInfo | null;
}

/** Everyone in an open room. */
export const OPEN_ACCESS: Access = { sub: null, write: true, expires: null, info: null };

export type Decision =
  | { readonly ok: true; readonly access: Access }
  | { readonly ok: false; readonly status: 400; readonly problem: typeof TOKEN_IN_URL }
  | { readonly ok: false; readonly status: 401; readonly problem: TokenProblem }
  | { readonly ok: false; readonly status: 403; readonly problem: typeof WRONG_ROOM | typeof READ_ONLY };

/** May this request act on `room`, and to write (send, publish) when `needsWrite`? */
export async function decide(
  auth: RoomAuth,
  request: Request,
  url: URL,
  room: string,
  needsWrite: boolean,
): Promise<Decision> {
  if (auth.mode === "open") return { ok: true, access: OPEN_ACCESS };
  const carried = carriedToken(request, url, auth.query);
  if (!carried.ok) return { ok: false, status: 400, problem: TOKEN_IN_URL };
  const verified = await verifyToken(carried.token, auth.secret);
  if (!verified.ok) return { ok: false, status: 401, problem: verified.problem };
  const { grant } = verified;
  if (!grantsRoom(grant, room)) return { ok: false, status: 403, problem: WRONG_ROOM };
  if (needsWrite && !grant.write) return { ok: false, status: 403, problem: READ_ONLY };
  return { ok: true, access: accessOf(grant) };
}

function accessOf(grant: Grant): Access {
  return { sub: grant.sub, write: grant.write, expires: grant.expires, info: grant.info };
}

/**
 * The HTTP refusal of a decision (RFC 6750 §3): 401 with a `WWW-Authenticate` challenge
 * (no error code when no token came), 403 with `insufficient_scope`, 400 with
 * `invalid_request` for a token in the URL.
 */
export function refusal(decision: Decision & { ok: false }): Response {
  const error = { 400: "invalid_request", 401: "invalid_token", 403: "insufficient_scope" }[decision.status];
  const challenge =
    decision.problem === "token missing"
      ? `Bearer realm="rooms"`
      : `Bearer realm="rooms", error="${error}", error_description="${decision.problem}"`;
  return new Response(`${decision.problem}\n`, {
    status: decision.status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "WWW-Authenticate": challenge },
  });
}
