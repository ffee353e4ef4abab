import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../src/protocol/rate-limit";

describe("TokenBucket", () => {
  it("allows a burst of one second's budget, then refuses", () => {
    const bucket = new TokenBucket(3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
  });
  it("refills at the configured rate", () => {
    const bucket = new TokenBucket(2, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.take(100)).toBe(false); // 0.2 tokens back
    expect(bucket.take(500)).toBe(true); // 1 token back by 500 ms
  });
  it("never holds more than one second's budget", () => {
    const bucket = new TokenBucket(2, 0);
    const results = [0, 1, 2].map(() => bucket.take(60_000));
    expect(results).toEqual([true, true, false]);
  });
});
