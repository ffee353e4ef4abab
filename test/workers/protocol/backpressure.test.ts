import { describe, expect, it } from "vitest";
import { canQueue, MAX_UNSENT_BYTES, waitingBytes } from "../../../src/protocol/backpressure";

describe("canQueue", () => {
  it("takes any message, even one of the full cap, when nothing is waiting", () => {
    expect(canQueue(0, MAX_UNSENT_BYTES)).toBe(true);
  });
  it("takes a message that keeps the queue within the cap", () => {
    expect(canQueue(MAX_UNSENT_BYTES - 10, 10)).toBe(true);
  });
  it("refuses a message that would take the queue past the cap", () => {
    expect(canQueue(MAX_UNSENT_BYTES - 10, 11)).toBe(false);
  });
  it("cannot cap a runtime that does not report what is queued", () => {
    expect(canQueue(undefined, MAX_UNSENT_BYTES)).toBe(true);
  });
});

describe("waitingBytes", () => {
  it("is the runtime's queue when nothing is held back", () => {
    expect(waitingBytes(100, 0)).toBe(100);
    expect(waitingBytes(undefined, 0)).toBeUndefined();
  });
  it("adds the bytes held back, even where the runtime reports no queue", () => {
    expect(waitingBytes(100, 50)).toBe(150);
    expect(waitingBytes(undefined, 50)).toBe(50);
  });
});
