import { describe, expect, it } from "vitest";
import { pendingTimers, Timers } from "../../../src/echo/timers";

describe("Timers", () => {
  it("runs a task after its time and forgets it", async () => {
    const timers = new Timers();
    const before = pendingTimers();
    const ran = new Promise<void>((resolve) => timers.after(1, resolve));
    expect(pendingTimers()).toBe(before + 1);
    await ran;
    expect(pendingTimers()).toBe(before);
  });

  it("clears every pending timer on stop, and arms none after it", async () => {
    const timers = new Timers();
    const before = pendingTimers();
    let ran = 0;
    timers.after(5, () => ran++);
    timers.after(10, () => ran++);
    timers.stop();
    timers.after(1, () => ran++);
    expect(pendingTimers()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toBe(0);
  });
});
