/**
 * What each operation of a room over several objects costs, in Durable Object
 * requests: the calls counted here are the lines of docs/rooms.md "Costs and limits".
 */
import { evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Room } from "../../../../src/rooms/room";
import { waitForClose, waitForMessages } from "../../helpers";
import { freshRoom, type JoinOptions, joinMany, joinRoom, roomInfo, roomShard } from "../helpers";
import { joinPositioned } from "../history/positioned";

const SHARDED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3" } };
/** Joins from `address`, in a room that takes 3 connections per address. */
const from = (address: string): JoinOptions => ({
  vars: { ROOM_SHARD_CONNECTIONS: "3", ROOM_MAX_PER_ADDRESS: "3" },
  headers: { "CF-Connecting-IP": address },
});
const CALLS = [
  "fetch",
  "admit",
  "report",
  "census",
  "setShards",
  "relay",
  "count",
  "historyOrigins",
  "historyRead",
] as const;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the calls each Room method receives from here on. */
function countCalls() {
  const spies = CALLS.map((name) => [name, vi.spyOn(Room.prototype, name)] as const);
  return {
    /** Calls per method since the last `take`, leaving out methods not called. */
    take(): Partial<Record<(typeof CALLS)[number], number>> {
      const counted: Partial<Record<(typeof CALLS)[number], number>> = {};
      for (const [name, spy] of spies) {
        if (spy.mock.calls.length > 0) counted[name] = spy.mock.calls.length;
        spy.mockClear();
      }
      return counted;
    },
  };
}

/** Lets background work (announcements after a leave) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe("what a room over several objects costs", () => {
  it("a join into shard 0: 1 request", async () => {
    const room = freshRoom();
    const calls = countCalls();
    await joinRoom(room, SHARDED);
    expect(calls.take()).toEqual({ fetch: 1 });
  });

  it("a join into a shard that exists: 3 requests, also after the directory woke", async () => {
    const room = freshRoom();
    await joinMany(room, 4, SHARDED); // [3,1]
    const calls = countCalls();
    await joinRoom(room, SHARDED);
    expect(calls.take()).toEqual({ fetch: 2, admit: 1 });
    await evictDurableObject(roomShard(room, 0));
    await joinRoom(room, SHARDED);
    expect(calls.take()).toEqual({ fetch: 2, admit: 1 });
  });

  it("a positioned join into a shard that exists: 3 requests, 1 historyOrigins and 1 historyRead to each other origin", async () => {
    const room = freshRoom();
    await joinMany(room, 7, SHARDED); // [3,3,1]
    const calls = countCalls();
    const member = await joinPositioned(room, "history=5", SHARDED.vars); // shard 2: origins 0, 1 and itself
    await member.frameCount(1);
    expect(calls.take()).toEqual({ fetch: 2, admit: 1, historyOrigins: 1, historyRead: 2 });
  });

  it("a join that makes a new shard: 3 requests plus an announcement to each other shard but 0", async () => {
    const room = freshRoom();
    await joinMany(room, 9, SHARDED); // [3,3,3]: N = 3
    const calls = countCalls();
    await joinRoom(room, SHARDED);
    expect(calls.take()).toEqual({ fetch: 2, admit: 1, setShards: 2 });
  });

  it("a join counted per address, below the cap by the counts the directory has: no request more", async () => {
    const room = freshRoom();
    for (let i = 1; i <= 7; i++) await joinRoom(room, from(`10.0.0.${i}`)); // [3,3,1]
    const calls = countCalls();
    await joinRoom(room, from("10.0.0.1"));
    expect(calls.take()).toEqual({ fetch: 2, admit: 1 });
  });

  it("a join counted per address after the directory woke, in a room larger than the cap: 1 census to each other shard, once", async () => {
    const room = freshRoom();
    for (let i = 1; i <= 7; i++) await joinRoom(room, from(`10.0.0.${i}`)); // [3,3,1]
    await evictDurableObject(roomShard(room, 0)); // forgets the other shards' keys
    const calls = countCalls();
    await joinRoom(room, from("10.0.0.1"));
    expect(calls.take()).toEqual({ fetch: 2, admit: 1, census: 2 });
    await joinRoom(room, from("10.0.0.2"));
    expect(calls.take()).toEqual({ fetch: 2, admit: 1 });
  });

  it("a join past ROOM_MAX_PER_ADDRESS: 1 request, refused by the directory", async () => {
    const room = freshRoom();
    for (let i = 0; i < 3; i++) await joinRoom(room, from("10.0.0.1")); // [3]
    const calls = countCalls();
    const refused = await joinRoom(room, from("10.0.0.1"));
    expect((await waitForClose(refused)).code).toBe(1008);
    expect(calls.take()).toEqual({ fetch: 1 });
  });

  it("a message: 1/20 for the frame, and one call to each other shard", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED); // N = 3
    const arriving = members.slice(1).map((member) => waitForMessages(member, 1));
    const calls = countCalls();
    members[0].send("one");
    await Promise.all(arriving);
    expect(calls.take()).toEqual({ relay: 2 });
  });

  it("a leave from another shard: 1 report; when the shard leaves the room, an announcement to each other shard but 0", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 8, SHARDED); // [3,3,2]
    const calls = countCalls();
    const closed = waitForClose(members[7]);
    members[7].close(1000, "bye");
    await closed;
    await settle();
    expect(calls.take()).toEqual({ report: 1 });
    const last = waitForClose(members[6]);
    members[6].close(1000, "bye");
    await last;
    await settle();
    expect(calls.take()).toEqual({ report: 1, setShards: 1 });
  });

  it("GET /rooms/:name: 1 request, plus one to each shard not heard from within COUNT_TRUSTED_MS", async () => {
    const room = freshRoom();
    await joinMany(room, 7, SHARDED);
    const calls = countCalls();
    await roomInfo(room);
    expect(calls.take()).toEqual({ count: 1 });
    await evictDurableObject(roomShard(room, 0)); // forgets when it heard from each shard
    await roomInfo(room);
    expect(calls.take()).toEqual({ count: 1, census: 2 });
  });
});
