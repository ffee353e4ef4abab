/**
 * Room tokens: JWTs signed with HS256 by the application's backend, verified here
 * with `jose`. Only HS256 is accepted (`none`, HS512 and every other `alg` are
 * refused), `exp` and `sub` are required, and the claims are checked as untrusted
 * input. A token is a credential: nothing here puts it in a log line or a reason.
 */
import { errors, jwtVerify } from "jose";
import { isRecord } from "../validate";
import { type MemberInfo, parseInfo } from "./info";

/** Clocks may disagree this much between the backend that signs and the edge that checks: `nbf` and `iat` only. */
export const CLOCK_SKEW_SECONDS = 5;
/**
 * The latest time a claim may name, in seconds (in 2262): the runtime keeps times as 64-bit
 * nanoseconds, and a room could not schedule its alarm for a member's `exp` past that.
 */
export const MAX_NUMERIC_DATE = 9_223_372_036;
/** `sub` is the member's id, shown to other members: 1 to 128 characters. */
export const MAX_SUBJECT_LENGTH = 128;
/** Entries in `rooms`: a bound, so a token cannot make each check long. */
const MAX_ROOM_ENTRIES = 100;
/** A room entry: a room name, or a prefix of one followed by `*`. */
const ROOM_ENTRY_PATTERN = /^[A-Za-z0-9_-]{0,64}\*?$/;

/** What a valid token grants. */
export interface Grant {
  /** The member's id. */
  readonly sub: string;
  /** When the grant ends, in ms since the epoch (the `exp` claim). */
  readonly expires: number;
  /** Room names, or prefixes ending in `*`. */
  readonly rooms: readonly string[];
  /** May send (join) or publish (HTTP); else read-only. */
  readonly write: boolean;
  /** The optional `info` claim: shown to the room's other members in presence. */
  readonly info: MemberInfo | null;
}

/** Why a token was refused: the close reasons of 4401 and the `error_description` of a 401. */
export type TokenProblem = "token missing" | "token invalid" | "token expired";

export type Verified =
  | { readonly ok: true; readonly grant: Grant }
  | { readonly ok: false; readonly problem: TokenProblem };

/** Checks `token` against `secret`; the reason for a refusal never includes the token. */
export async function verifyToken(token: string | null, secret: Uint8Array): Promise<Verified> {
  if (token === null || token === "") return { ok: false, problem: "token missing" };
  try {
    const { payload } = await jwtVerify(token, await keyFor(secret), {
      algorithms: ["HS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "sub"],
    });
    const grant = grantOf(payload);
    if (grant === null) return { ok: false, problem: "token invalid" };
    // The skew helps a token minted a moment "early" (`nbf`, `iat`); `exp` holds to the millisecond,
    // as in the room, where a member stops receiving at its `exp`.
    if (grant.expires <= Date.now()) return { ok: false, problem: "token expired" };
    return { ok: true, grant };
  } catch (error) {
    return { ok: false, problem: error instanceof errors.JWTExpired ? "token expired" : "token invalid" };
  }
}

/** The secret imported once per isolate: importing it for every token would cost each join. */
const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function keyFor(secret: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keys.set(secret, key);
  }
  return key;
}

/** True when the grant names `room`, exactly or by a prefix entry (`team-*` admits `team-a`, not `teamx`). */
export function grantsRoom(grant: Grant, room: string): boolean {
  return grant.rooms.some((entry) => (entry.endsWith("*") ? room.startsWith(entry.slice(0, -1)) : entry === room));
}

/** The grant in verified claims, or null when a claim is missing or of the wrong shape. */
function grantOf(claims: unknown): Grant | null {
  if (!isRecord(claims)) return null;
  const { sub, exp, nbf, iat, rooms, write } = claims;
  const info = claims.info === undefined ? null : parseInfo(claims.info);
  if (claims.info !== undefined && info === null) return null;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) return null;
  // Whole seconds the runtime can schedule, so the room never meets a time it cannot keep (`exp: 1e300`).
  if (!isNumericDate(exp) || (nbf !== undefined && !isNumericDate(nbf))) return null;
  if (iat !== undefined && !(isNumericDate(iat) && iat <= Date.now() / 1000 + CLOCK_SKEW_SECONDS)) return null;
  if (!Array.isArray(rooms) || rooms.length > MAX_ROOM_ENTRIES) return null;
  const names: string[] = [];
  for (const entry of rooms) {
    if (typeof entry !== "string" || entry === "" || !ROOM_ENTRY_PATTERN.test(entry)) return null;
    names.push(entry);
  }
  if (write !== undefined && typeof write !== "boolean") return null;
  return { sub, expires: exp * 1000, rooms: names, write: write === true, info };
}

/** A NumericDate as this service takes it: whole seconds from 0 to MAX_NUMERIC_DATE. */
function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= MAX_NUMERIC_DATE;
}
