import { describe, expect, it } from "vitest";
import { CLOCK_SKEW_SECONDS, grantsRoom, MAX_NUMERIC_DATE, verifyToken } from "../../../../src/rooms/access/token";
import { SECRET, signedClaims, token, unsignedToken } from "./tokens";

const key = new TextEncoder().encode(SECRET);

describe("room tokens", () => {
  it("grant what their claims say", async () => {
    const verified = await verifyToken(await token({ sub: "alice", rooms: ["lobby"], write: true, ttl: 60 }), key);
    expect(verified).toMatchObject({ ok: true, grant: { sub: "alice", rooms: ["lobby"], write: true } });
    if (verified.ok) expect(verified.grant.expires).toBeGreaterThan(Date.now() + 55_000);
  });

  it("are read-only unless write is true", async () => {
    expect(await verifyToken(await token({ rooms: ["lobby"] }), key)).toMatchObject({ grant: { write: false } });
  });

  it.each([
    ["no token", async () => null, "token missing"],
    ["an empty token", async () => "", "token missing"],
    ["a bad signature", () => token({}, "another-secret-of-at-least-32-bytes!!"), "token invalid"],
    ["alg none", async () => unsignedToken({ sub: "a", rooms: ["*"], exp: 9e9 }), "token invalid"],
    ["HS512", () => token({}, SECRET, "HS512"), "token invalid"],
    ["an expired token", () => token({ ttl: -1 }), "token expired"],
    ["a token expired within the clock skew", () => token({ ttl: -2 }), "token expired"],
    ["a future nbf", () => token({ notBefore: 60 }), "token invalid"],
    ["no rooms", () => token({ rooms: undefined }), "token invalid"],
    ["rooms that are not a list", () => token({ rooms: "lobby" }), "token invalid"],
    ["a room entry with a star inside", () => token({ rooms: ["a*b"] }), "token invalid"],
    ["a write claim that is not a boolean", () => token({ write: "yes" }), "token invalid"],
    ["a sub of 129 characters", () => token({ sub: "a".repeat(129) }), "token invalid"],
    ["text that is not a JWT", async () => "not.a.jwt", "token invalid"],
  ])("are refused with %s", async (_what, make, problem) => {
    expect(await verifyToken(await make(), key)).toEqual({ ok: false, problem });
  });

  it("accept an nbf a moment ahead, within the clock skew", async () => {
    expect(await verifyToken(await token({ notBefore: 3 }), key)).toMatchObject({ ok: true });
  });

  describe("times that are not whole seconds the room can keep, or an iat ahead of the clock skew", () => {
    const now = () => Math.floor(Date.now() / 1000);
    it.each<[string, () => Record<string, unknown>]>([
      ["exp: 1e300", () => ({ exp: 1e300 })],
      ["exp past MAX_NUMERIC_DATE", () => ({ exp: MAX_NUMERIC_DATE + 1 })],
      ["a fractional exp", () => ({ exp: now() + 60.5 })],
      ["nbf: 1e300", () => ({ nbf: 1e300 })],
      ["a negative nbf", () => ({ nbf: -1 })],
      ["a fractional iat", () => ({ iat: now() - 0.5 })],
      ["an iat past the skew", () => ({ iat: now() + CLOCK_SKEW_SECONDS + 2 })],
    ])("refuse %s as token invalid", async (_what, claims) => {
      const jwt = await signedClaims({ sub: "a", rooms: ["*"], exp: now() + 60, ...claims() });
      expect(await verifyToken(jwt, key)).toEqual({ ok: false, problem: "token invalid" });
    });

    it("accept an iat within the skew, and one in the past", async () => {
      for (const iat of [now() + CLOCK_SKEW_SECONDS - 2, now() - 3600]) {
        const jwt = await signedClaims({ sub: "a", rooms: ["*"], exp: now() + 60, iat });
        expect(await verifyToken(jwt, key)).toMatchObject({ ok: true });
      }
    });
  });

  it("name rooms exactly, or by a prefix ending in *", () => {
    const grant = { sub: "a", expires: 0, write: false, rooms: ["lobby", "team-*"], info: null };
    expect(grantsRoom(grant, "lobby")).toBe(true);
    expect(grantsRoom(grant, "lobby2")).toBe(false);
    expect(grantsRoom(grant, "team-a")).toBe(true);
    expect(grantsRoom(grant, "teamx")).toBe(false);
    expect(grantsRoom({ ...grant, rooms: ["*"] }, "anything")).toBe(true);
  });
});
