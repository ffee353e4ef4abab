import { describe, expect, it } from "vitest";
import { canQueue, MAX_UNSENT_BYTES } from "../../../src/protocol/backpressure";

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
