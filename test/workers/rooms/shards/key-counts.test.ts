import { describe, expect, it } from "vitest";
import { KeyCounts } from "../../../../src/rooms/shards/key-counts";

const ALICE = "user:alice";
const BOB = "user:bob";

describe("the directory's key counts of another shard", () => {
  it("keep each key's newest reading, whichever call carried it", () => {
    const counts = new KeyCounts();
    counts.heard(1, { incarnation: "a", seq: 5, keys: [[ALICE, 3]] }, 0);
    counts.heard(
      1,
      {
        incarnation: "a",
        seq: 4,
        keys: [
          [ALICE, 9],
          [BOB, 1],
        ],
      },
      0,
    );
    expect(counts.count(1, ALICE)).toBe(3);
    expect(counts.count(1, BOB)).toBe(1);
    counts.heard(1, { incarnation: "b", seq: 1, keys: [[ALICE, 0]] }, 0); // a new life of the shard
    expect(counts.count(1, ALICE)).toBe(0);
  });

  it("are complete once the shard joined in this life of the directory, or answered with all its keys", () => {
    const counts = new KeyCounts();
    counts.heard(1, { incarnation: "a", seq: 1, keys: [[ALICE, 1]] }, 0);
    expect(counts.complete(1)).toBe(false);
    counts.heard(1, { incarnation: "a", seq: 3, keys: [[BOB, 2]], full: true }, 0);
    expect(counts.complete(1)).toBe(true);
    expect([counts.count(1, ALICE), counts.count(1, BOB)]).toEqual([0, 2]);
    counts.joined(2);
    expect(counts.complete(2)).toBe(true);
  });

  it("keep, from a full answer, no key newer than it", () => {
    const counts = new KeyCounts();
    counts.heard(1, { incarnation: "a", seq: 7, keys: [[ALICE, 2]] }, 0);
    counts.heard(1, { incarnation: "a", seq: 6, keys: [], full: true }, 0); // overtaken by the report of 7
    expect(counts.count(1, ALICE)).toBe(2);
  });

  it("give back a refused join's place, and forget a shard that left", () => {
    const counts = new KeyCounts();
    counts.heard(
      1,
      {
        incarnation: "a",
        seq: 1,
        keys: [
          [ALICE, 2],
          [BOB, 1],
        ],
      },
      0,
    );
    counts.withdraw(1, [ALICE, BOB]);
    expect([counts.count(1, ALICE), counts.count(1, BOB)]).toEqual([1, 0]);
    counts.left(1);
    expect(counts.count(1, ALICE)).toBe(0);
    expect(counts.complete(1)).toBe(false);
  });

  it("say which counts are older than a time", () => {
    const counts = new KeyCounts();
    counts.heard(1, { incarnation: "a", seq: 1, keys: [[ALICE, 1]] }, 100);
    expect(counts.heardBefore(1, ALICE, 101)).toBe(true);
    expect(counts.heardBefore(1, ALICE, 100)).toBe(false);
    expect(counts.heardBefore(1, BOB, 1_000)).toBe(false);
  });
});
