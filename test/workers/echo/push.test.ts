import { describe, expect, it } from "vitest";
import { BINARY_PUSH_HEADER_BYTES, encodePush, Pushes } from "../../../src/echo/push";
import { ManualClock } from "./manual-clock";

describe("encodePush: text", () => {
  it("is JSON with the sequence number, the count and the server time", () => {
    const text = encodePush("text", 3, 10, 1_700_000_000_123, 0);
    expect(JSON.parse(String(text))).toEqual({ push: 3, of: 10, at: 1_700_000_000_123, pad: "" });
  });

  it.each([100, 1_000, 65_536])("is padded to exactly push_size = %i bytes", (size) => {
    const text = encodePush("text", 1, 1, 1_700_000_000_000, size);
    expect(typeof text).toBe("string");
    expect(new TextEncoder().encode(String(text)).byteLength).toBe(size);
    expect(JSON.parse(String(text))).toMatchObject({ push: 1, of: 1 });
  });

  it("is as long as its header needs when push_size is smaller", () => {
    const text = String(encodePush("text", 1, 1, 1_700_000_000_000, 5));
    expect(text).toBe('{"push":1,"of":1,"at":1700000000000,"pad":""}');
  });
});

describe("encodePush: binary", () => {
  it("starts with the sequence number and the server time as big-endian uint64", () => {
    const bytes = encodePush("binary", 258, 300, 1_700_000_000_123, 0);
    if (!(bytes instanceof ArrayBuffer)) throw new Error("expected binary");
    expect(bytes.byteLength).toBe(BINARY_PUSH_HEADER_BYTES);
    const view = new DataView(bytes);
    expect(view.getBigUint64(0)).toBe(258n);
    expect(view.getBigUint64(8)).toBe(1_700_000_000_123n);
    expect([...new Uint8Array(bytes, 0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 1, 2]);
  });

  it("is push_size bytes, zeros after the header", () => {
    const bytes = encodePush("binary", 1, 1, 5, 100);
    if (!(bytes instanceof ArrayBuffer)) throw new Error("expected binary");
    expect(bytes.byteLength).toBe(100);
    expect(new Uint8Array(bytes, 16).every((b) => b === 0)).toBe(true);
  });
});

describe("Pushes", () => {
  it("sends N pushes, one every interval from the start, numbered 1 to N, then stops", () => {
    const clock = new ManualClock();
    const sent: { seq: number; at: number }[] = [];
    const pushes = new Pushes(
      clock,
      { count: 3, intervalMs: 50, type: "text", size: 0 },
      (push) => sent.push({ seq: (JSON.parse(String(push)) as { push: number }).push, at: clock.now }),
      () => clock.now,
    );
    pushes.start();
    clock.advanceTo(49);
    expect(sent).toEqual([]);
    clock.advanceTo(10_000);
    expect(sent).toEqual([
      { seq: 1, at: 50 },
      { seq: 2, at: 100 },
      { seq: 3, at: 150 },
    ]);
    expect(clock.pending).toBe(0);
  });

  it("keeps to the schedule after a late timer instead of drifting", () => {
    const clock = new ManualClock();
    const times: number[] = [];
    const control = { count: 3, intervalMs: 100, type: "binary", size: 0 } as const;
    new Pushes(
      clock,
      control,
      () => times.push(clock.now),
      () => clock.now,
    ).start();
    clock.fireNextLate(30);
    clock.advanceTo(1_000);
    expect(times).toEqual([130, 200, 300]);
  });
});
