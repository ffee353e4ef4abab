/**
 * Tokens for tests, signed as a backend would with `jose`, and the `[vars]` of a
 * room service with `ROOM_AUTH=token`.
 */
import { SignJWT } from "jose";

export const SECRET = "test-secret-of-at-least-32-bytes-for-hs256";
export const TOKEN_VARS: Partial<Env> = { ROOM_AUTH: "token", ROOM_TOKEN_SECRET: SECRET };

export interface Claims {
  sub?: string;
  rooms?: unknown;
  write?: unknown;
  /** Seconds from now; negative for the past. */
  ttl?: number;
  /** `nbf`, seconds from now. */
  notBefore?: number;
  /** The `info` claim (presence). */
  info?: unknown;
}

/** A token signed with `secret` (HS256 unless `alg` says otherwise). */
export function token(claims: Claims = {}, secret = SECRET, alg = "HS256"): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { sub = "alice", write, ttl = 3600, notBefore } = claims;
  const rooms = "rooms" in claims ? claims.rooms : ["*"];
  const payload: Record<string, unknown> = {};
  if (rooms !== undefined) payload.rooms = rooms;
  if (write !== undefined) payload.write = write;
  if (claims.info !== undefined) payload.info = claims.info;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg })
    .setSubject(sub)
    .setExpirationTime(now + ttl);
  if (notBefore !== undefined) jwt.setNotBefore(now + notBefore);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** A token of exactly these claims (none added), signed with the test secret: for claims `jose` would not write. */
export function signedClaims(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET));
}

/** The `Sec-WebSocket-Protocol` offer a browser makes for a private room: `room-token`, then the token in its own entry. */
export function tokenOffer(jwt: string, ...protocols: string[]): string {
  return [...protocols, "room-token", `room-token.${jwt}`].join(", ");
}

/** An unsigned token (`alg: none`) with the same claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
