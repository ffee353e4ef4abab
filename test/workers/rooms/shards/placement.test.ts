import { describe, expect, it } from "vitest";
import {
  admits,
  PLACEMENT_HEADER,
  PLACEMENT_STATUS,
  place,
  placeAt,
  placedAt,
  roomTotal,
} from "../../../../src/rooms/shards/placement";

const none = new Map<number, number>();

describe("place", () => {
  it("keeps a join in shard 0 while it has places: a room that fits one object stays in it", () => {
    expect(place(0, { counts: none, pending: none }, 3, 100)).toEqual({ kind: "here" });
    expect(place(2, { counts: none, pending: none }, 3, 100)).toEqual({ kind: "here" });
  });

  it("sends a join past shard 0's places to the lowest shard with places, counting joins on their way", () => {
    const counts = new Map([
      [1, 3],
      [2, 1],
    ]);
    expect(place(3, { counts, pending: none }, 3, 100)).toEqual({ kind: "shard", index: 2 });
    expect(place(3, { counts, pending: new Map([[2, 2]]) }, 3, 100)).toEqual({ kind: "shard", index: 3 });
  });

  it("opens a new shard at the lowest free index", () => {
    expect(place(3, { counts: none, pending: none }, 3, 100)).toEqual({ kind: "shard", index: 1 });
    const counts = new Map([
      [2, 3],
      [3, 3],
    ]);
    expect(place(3, { counts, pending: none }, 3, 100)).toEqual({ kind: "shard", index: 1 });
    expect(place(3, { counts, pending: new Map([[1, 3]]) }, 3, 100)).toEqual({ kind: "shard", index: 4 });
  });

  it("answers full once the members of every shard reach the room's cap", () => {
    expect(place(3, { counts: new Map([[1, 2]]), pending: none }, 3, 5)).toEqual({ kind: "full" });
    expect(place(1, { counts: none, pending: none }, 3, 1)).toEqual({ kind: "full" });
  });
});

describe("admits", () => {
  it("counts the asking shard by what it will hold, and every other shard by its last report", () => {
    const counts = new Map([
      [1, 3],
      [2, 1],
    ]);
    expect(roomTotal(3, counts)).toBe(7);
    expect(admits(3, counts, 2, 2, 8)).toBe(true);
    expect(admits(3, counts, 2, 3, 8)).toBe(false);
    expect(admits(3, counts, 4, 1, 8)).toBe(true);
    expect(admits(3, counts, 4, 1, 7)).toBe(false);
  });
});

describe("placement answers", () => {
  it("carry the shard index to the Worker and back", () => {
    const response = placeAt(12);
    expect(response.status).toBe(PLACEMENT_STATUS);
    expect(placedAt(response)).toBe(12);
    expect(placedAt(placeAt(0))).toBe(0);
  });

  it.each([
    ["a 101", new Response(null, { status: 200, headers: { [PLACEMENT_HEADER]: "1" } })],
    ["no header", new Response(null, { status: PLACEMENT_STATUS })],
    ["a negative index", new Response(null, { status: PLACEMENT_STATUS, headers: { [PLACEMENT_HEADER]: "-1" } })],
    ["a leading zero", new Response(null, { status: PLACEMENT_STATUS, headers: { [PLACEMENT_HEADER]: "01" } })],
    ["a fraction", new Response(null, { status: PLACEMENT_STATUS, headers: { [PLACEMENT_HEADER]: "1.5" } })],
  ])("are not read from %s", (_what, response) => {
    expect(placedAt(response)).toBeNull();
  });
});
