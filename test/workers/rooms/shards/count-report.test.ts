import { describe, expect, it } from "vitest";
import { CountReporter } from "../../../../src/rooms/shards/count-report";

describe("a shard's count reports", () => {
  it("send one report at a time, and the next with the count as it is when it leaves", async () => {
    const sent: number[] = [];
    let release = () => {};
    let count = 5;
    const reporter = new CountReporter(
      (value) => {
        sent.push(value);
        return new Promise((resolve) => {
          release = resolve;
        });
      },
      () => count,
    );
    const first = reporter.changed();
    await Promise.resolve();
    count = 4;
    const second = reporter.changed();
    count = 3;
    const third = reporter.changed();
    expect(third).toBe(second);
    expect(sent).toEqual([5]);
    release();
    await first;
    await Promise.resolve();
    release();
    await second;
    expect(sent).toEqual([5, 3]);
  });

  it("never rejects: the sender logs its own failures", async () => {
    const reporter = new CountReporter(
      () => Promise.reject(new Error("directory unreachable")),
      () => 1,
    );
    await expect(reporter.changed()).resolves.toBeUndefined();
  });
});
