/**
 * What presence costs, in calls between a room's objects: nothing in a room where
 * nobody watches; with watchers, joins and leaves reach each other object in batches,
 * never one call per member.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Room } from "../../../../src/rooms/room";
import { freshRoom, roomInfo } from "../helpers";
import { member, settle } from "./watch";

const PRESENCE_CALLS = ["presenceItems", "presenceHere"] as const;

afterEach(() => {
  vi.restoreAllMocks();
});

function countCalls() {
  const spies = PRESENCE_CALLS.map((name) => [name, vi.spyOn(Room.prototype, name)] as const);
  return () => Object.fromEntries(spies.map(([name, spy]) => [name, spy.mock.calls.length]));
}

describe("what presence costs", () => {
  it("nothing in a room where nobody watches: no presence call for joins, messages and leaves", async () => {
    const room = freshRoom();
    const vars = { ROOM_SHARD_CONNECTIONS: "3" };
    const calls = countCalls();
    const members = [];
    for (let i = 0; i < 9; i++) members.push(await member(room, `client=u${i}`, vars));
    members[0]?.socket.send("hello");
    for (const one of members) one.close();
    await settle();
    expect(calls()).toEqual({ presenceItems: 0, presenceHere: 0 });
  });

  it("a burst of 1,000 joins over 10 objects with watchers on each: a few batches per object, not a call per join", async () => {
    const room = freshRoom();
    // One watcher per object (joined when an object held one member): every join is announced to all ten.
    const watchers = [];
    for (let index = 0; index < 10; index++)
      watchers.push(
        await member(room, `history=0&presence=1&client=watcher${index}`, {
          ROOM_SHARD_CONNECTIONS: "1",
          ROOM_PRESENCE_MAX: "2000",
        }),
      );
    expect((await roomInfo(room)).shards).toBe(10);
    const vars = { ROOM_SHARD_CONNECTIONS: "101", ROOM_MAX_PER_ADDRESS: "0", ROOM_PRESENCE_MAX: "2000" };
    const calls = countCalls();
    const joins = 1_000;
    await Promise.all(Array.from({ length: joins }, (_, i) => member(room, `client=u${i}`, vars)));
    for (const watcher of watchers) await watcher.next("join", joins);
    const counted = calls();
    // One call per join per other object would be 9,000 (measured: 45).
    expect(counted.presenceItems).toBeLessThan(joins);
  }, 120_000);
});
