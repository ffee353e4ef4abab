import { describe, expect, it } from "vitest";
import { DelayedEchoes, echoDueAt } from "../../../src/echo/schedule";
import { ManualClock } from "./manual-clock";

describe("echoDueAt", () => {
  it("is the arrival plus the delay without jitter", () => {
    expect(echoDueAt(1_000, 250, 0, 0.99, 0)).toBe(1_250);
  });

  it("adds 0 to jitter inclusive: the lowest and highest random give the bounds", () => {
    expect(echoDueAt(1_000, 100, 50, 0, 0)).toBe(1_100);
    expect(echoDueAt(1_000, 100, 50, 0.999_999, 0)).toBe(1_150);
  });

  it("never comes before the echo due before it", () => {
    expect(echoDueAt(1_000, 0, 500, 0, 1_400)).toBe(1_400);
  });
});

describe("DelayedEchoes", () => {
  /** Holds the echoes of messages arriving at the given times; returns what was sent, when. */
  function run(arrivals: number[], delayMs: number, jitterMs: number, randoms: number[]) {
    const clock = new ManualClock();
    const sent: { reply: string; at: number }[] = [];
    const queue = new DelayedEchoes<string>(
      clock,
      delayMs,
      jitterMs,
      (reply) => sent.push({ reply, at: clock.now }),
      () => clock.now,
      () => randoms.shift() ?? 0,
    );
    arrivals.forEach((at, i) => {
      clock.advanceTo(at);
      queue.hold(`m${i}`, 10);
    });
    return { clock, queue, sent };
  }

  it("sends each echo its delay after its message arrived", () => {
    const { clock, sent } = run([0, 10, 30], 100, 0, []);
    clock.advanceTo(1_000);
    expect(sent).toEqual([
      { reply: "m0", at: 100 },
      { reply: "m1", at: 110 },
      { reply: "m2", at: 130 },
    ]);
  });

  it("keeps the order when jitter would let a later echo overtake: it waits for the one before", () => {
    // m0 draws the full jitter (due 0+100+50), m1 none (due 10+100): m1 must wait for m0.
    const { clock, sent } = run([0, 10, 200], 100, 50, [0.999_999, 0, 0.5]);
    clock.advanceTo(1_000);
    expect(sent.map((s) => s.reply)).toEqual(["m0", "m1", "m2"]);
    expect(sent.map((s) => s.at)).toEqual([150, 150, 325]);
  });

  it("counts held bytes until each echo is sent", () => {
    const { clock, queue } = run([0, 0, 0], 100, 0, []);
    expect(queue.heldBytes).toBe(30);
    clock.advanceTo(99);
    expect(queue.heldBytes).toBe(30);
    clock.advanceTo(100);
    expect(queue.heldBytes).toBe(0);
  });

  it("keeps one timer at a time, for the head of the queue", () => {
    const { clock } = run([0, 1, 2, 3], 100, 0, []);
    expect(clock.pending).toBe(1);
  });
});
