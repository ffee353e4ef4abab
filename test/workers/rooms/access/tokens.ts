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
}

/** A token signed with `secret` (HS256 unless `alg` says otherwise). */
export function token(claims: Claims = {}, secret = SECRET, alg = "HS256"): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { sub = "alice", write, ttl = 3600, notBefore } = claims;
  const rooms = "rooms" in claims ? claims.rooms : ["*"];
  const payload: Record<string, unknown> = {};
  if (rooms !== undefined) payload.rooms = rooms;
  if (write !== undefined) payload.write = write;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg })
    .setSubject(sub)
    .setExpirationTime(now + ttl);
  if (notBefore !== undefined) jwt.setNotBefore(now + notBefore);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** An unsigned token (`alg: none`) with the same claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
