/**
 * A room past one object on its failure paths: a shard that cannot be told, a
 * directory wake, a link that gave up, one object restarting with its sockets lost,
 * a shard dropped and re-added with a queue in flight; and what each would cost.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALARMS_KEY } from "../../../../src/rooms/alarms";
import { MISSED_MESSAGES_REASON } from "../../../../src/rooms/members";
import { Room } from "../../../../src/rooms/room";
import { DIRECTORY_KEY } from "../../../../src/rooms/shards/directory";
import { parseDirectoryRecord } from "../../../../src/rooms/shards/directory-record";
import type { ShardList } from "../../../../src/rooms/shards/names";
import { RETIRED_MS } from "../../../../src/rooms/shards/retired";
import { SHARDS_KEY } from "../../../../src/rooms/shards/shard";
import { EVENTUALLY, waitForClose, waitForMessage } from "../../helpers";
import { freshRoom, type JoinOptions, joinMany, joinRoom, roomInfo, roomShard, shardMembers } from "../helpers";

const SHARDED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3" } };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The object that is shard `index` of `room`, to tell it apart in a spy. */
function instanceOf(room: string, index: number): Promise<Room> {
  return runInDurableObject(roomShard(room, index), (instance: Room) => instance);
}

/** Closes a socket and waits for the server's answer. */
async function leave(socket: WebSocket): Promise<void> {
  const closed = waitForClose(socket);
  socket.close(1000, "bye");
  await closed;
}

/** Makes `setShards` fail on the given objects while the returned spy is in place. */
function cannotBeTold(objects: Room[]) {
  const setShards = Room.prototype.setShards;
  return vi.spyOn(Room.prototype, "setShards").mockImplementation(function (this: Room, list: ShardList) {
    if (objects.includes(this)) throw new Error("cannot be told (test)");
    return setShards.call(this, list);
  });
}

describe("a shard that cannot be told", () => {
  it("never blocks a join into another shard that exists", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const room = freshRoom();
    const members = await joinMany(room, 10, SHARDED);
    await leave(members[3]); // [3,2,3,1]
    expect(await shardMembers(room, 4)).toEqual([3, 2, 3, 1]);
    cannotBeTold([await instanceOf(room, 2)]);
    await leave(members[9]); // shard 3 leaves: the list changes, and shard 2 misses it
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 8, shards: 3 }), EVENTUALLY);

    const newcomer = await joinRoom(room, SHARDED);
    expect(newcomer.readyState).toBe(WebSocket.OPEN);
    expect(await shardMembers(room, 2)).toEqual([3, 3]);
    const heard = waitForMessage(newcomer);
    members[6].send("from shard 2, which missed the last list");
    expect(await heard).toBe("from shard 2, which missed the last list");
  });
});

describe("a directory wake", () => {
  it("keeps who was told in storage: a join into an existing shard calls no other shard", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 8, SHARDED);
    await leave(members[4]);
    await evictDurableObject(roomShard(room, 0));
    const announce = cannotBeTold([await instanceOf(room, 2)]);
    const admit = vi.spyOn(Room.prototype, "admit");

    const newcomer = await joinRoom(room, SHARDED);
    expect(newcomer.readyState).toBe(WebSocket.OPEN);
    expect(await shardMembers(room, 3)).toEqual([3, 3, 2]);
    expect(announce).not.toHaveBeenCalled();
    expect(admit).toHaveBeenCalledTimes(1);
  });
});

describe("a link that gave up", () => {
  it("tells the other shard's members (1012) from the alarm, with no further traffic", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    const target = await instanceOf(room, 2);
    const relay = Room.prototype.relay;
    const cut = vi.spyOn(Room.prototype, "relay").mockImplementation(function (this: Room, batch) {
      if (this === target) throw new Error("unreachable (test)");
      return relay.call(this, batch);
    });
    const atShard1 = waitForMessage(members[3]);
    members[0].send("lost for shard 2");
    expect(await atShard1).toBe("lost for shard 2");
    await vi.waitFor(
      () => expect(cut.mock.calls.filter(([batch]) => batch.missed > 0).length).toBeGreaterThan(0),
      EVENTUALLY,
    );
    expect(members[6].readyState).toBe(WebSocket.OPEN); // deaf, until the link can tell it

    cut.mockRestore();
    const event = await waitForClose(members[6]); // nobody sends anything more
    expect(event.code).toBe(1012);
    expect(event.reason).toBe(MISSED_MESSAGES_REASON);
    expect(members[3].readyState).toBe(WebSocket.OPEN);
  });
});

describe("one object restarting with its sockets lost", () => {
  const CAPPED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3", ROOM_MAX_CONNECTIONS: "8" } };

  it("admits its displaced members again up to the room's real free places, and counts live sockets", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, CAPPED); // [3,3,1]
    const lost = members.slice(3, 6).map((member) => waitForClose(member));
    await evictDurableObject(roomShard(room, 1), { webSockets: "close" });
    await Promise.all(lost);
    // Counts younger than FULL_RECHECK_MS are trusted; the displaced come back after a backoff anyway.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const back = [];
    for (let i = 0; i < 3; i++) back.push(await joinRoom(room, CAPPED));
    expect(back.map((socket) => socket.readyState)).toEqual([WebSocket.OPEN, WebSocket.OPEN, WebSocket.OPEN]);
    expect(await roomInfo(room)).toEqual({ connections: 7, shards: 3 });
    const eighth = await joinRoom(room, CAPPED);
    const ninth = await joinRoom(room, CAPPED);
    expect((await waitForClose(ninth)).code).toBe(1013);
    expect(eighth.readyState).toBe(WebSocket.OPEN);
    expect(await roomInfo(room)).toEqual({ connections: 8, shards: 3 });
  });

  it("reports live sockets in GET /rooms/:name within COUNT_TRUSTED_MS, with nobody joining", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    const lost = members.slice(3, 6).map((member) => waitForClose(member));
    await evictDurableObject(roomShard(room, 1), { webSockets: "close" });
    await Promise.all(lost);
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 4, shards: 2 }), {
      timeout: 15_000,
      interval: 500,
    });
  }, 20_000);
});

describe("a shard dropped and re-added with a queue in flight", () => {
  it("gives the new incarnation only what was sent after it joined, in each sender's order", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 4, SHARDED); // [3,1]
    const sender = members[0];
    const slow = await instanceOf(room, 1);
    const relay = Room.prototype.relay;
    let release = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    vi.spyOn(Room.prototype, "relay").mockImplementation(async function (this: Room, batch) {
      if (this === slow) await stalled;
      return relay.call(this, batch);
    });
    for (let i = 0; i < 10; i++) sender.send(`old ${i}`);
    await leave(members[3]); // shard 1's only member: shard 1 leaves the room
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 3, shards: 1 }), EVENTUALLY);

    const newcomer = await joinRoom(room, SHARDED); // shard 1 again, a new incarnation
    expect(await roomInfo(room)).toEqual({ connections: 4, shards: 2 });
    const received: unknown[] = [];
    newcomer.addEventListener("message", (event) => received.push(event.data));
    for (let i = 0; i < 5; i++) sender.send(`new ${i}`);
    release();
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(5), EVENTUALLY);
    // Whatever the old incarnation was still owed would come before or with this.
    const last = waitForMessage(newcomer);
    sender.send("last");
    await last;
    expect(received).toEqual(["new 0", "new 1", "new 2", "new 3", "new 4", "last"]);
    expect(newcomer.readyState).toBe(WebSocket.OPEN);
  });
});

describe("close replies and reports", () => {
  it("answer a leaving member at once, even while another shard stalls announcements", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 9, SHARDED); // [3,3,3]
    const stalledShard = await instanceOf(room, 1);
    const setShards = Room.prototype.setShards;
    vi.spyOn(Room.prototype, "setShards").mockImplementation(async function (this: Room, list: ShardList) {
      if (this === stalledShard) await new Promise<void>(() => {});
      return setShards.call(this, list);
    });
    for (const member of members.slice(6)) await leave(member); // shard 2 leaves; shard 1 never answers
    expect(await roomInfo(room)).toEqual({ connections: 6, shards: 2 });
  });

  it("a report the directory did not take is sent again from the alarm", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const room = freshRoom();
    const members = await joinMany(room, 5, SHARDED); // [3,2]
    const report = Room.prototype.report;
    let failed = 0;
    vi.spyOn(Room.prototype, "report").mockImplementation(function (this: Room, index, reading) {
      if (failed++ === 0) throw new Error("directory unreachable (test)");
      return report.call(this, index, reading);
    });
    await leave(members[4]);
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 4, shards: 2 }), {
      timeout: 8_000,
      interval: 200,
    });
    expect(failed).toBeGreaterThan(1);
  });
});

describe("storage", () => {
  it("is given back once the room is empty: no shard list, and a directory that only remembers the shards that left", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 4, SHARDED);
    for (const member of members) await leave(member);
    await vi.waitFor(async () => {
      const kept = await Promise.all(
        [0, 1].map((index) =>
          runInDurableObject(roomShard(room, index), (_: Room, state) => [
            state.storage.kv.get(DIRECTORY_KEY),
            state.storage.kv.get(SHARDS_KEY),
          ]),
        ),
      );
      // For a day, the time history keeps a message at most, so a member can still resume from their history.
      expect(kept.flat().filter((value) => value !== undefined)).toEqual([
        { version: expect.any(Number), shards: [], retired: [[1, expect.any(Number)]] },
      ]);
    }, EVENTUALLY);
    // Its alarm forgets them a day after they left, and then the directory keeps nothing.
    const directory = roomShard(room, 0);
    const deadline = await runInDurableObject(directory, (_: Room, state) => {
      const record = parseDirectoryRecord(state.storage.kv.get(DIRECTORY_KEY));
      const [[, left] = [0, 0]] = record?.retired ?? [];
      const deadlines: unknown = state.storage.kv.get(ALARMS_KEY);
      const due = typeof deadlines === "object" && deadlines !== null && "retired" in deadlines ? deadlines.retired : 0;
      // As if the day had passed: the shard left a day ago, and the wake is due.
      state.storage.kv.put(DIRECTORY_KEY, { ...record, retired: [[1, Date.now() - RETIRED_MS]] });
      state.storage.kv.put(ALARMS_KEY, { retired: Date.now() });
      return Number(due) - left;
    });
    expect(deadline).toBe(RETIRED_MS);
    await evictDurableObject(directory);
    const after = await runInDurableObject(directory, async (instance: Room, state) => {
      await instance.alarm();
      return state.storage.kv.get(DIRECTORY_KEY);
    });
    expect(after).toBeUndefined();
  });
});

describe("announcements", () => {
  it("reach each shard once per list change, for 100 concurrent joins", async () => {
    const room = freshRoom();
    const told = new Map<Room, number[]>();
    const setShards = Room.prototype.setShards;
    vi.spyOn(Room.prototype, "setShards").mockImplementation(function (this: Room, list: ShardList) {
      told.set(this, [...(told.get(this) ?? []), list.version]);
      return setShards.call(this, list);
    });
    const joins = await Promise.allSettled(Array.from({ length: 100 }, () => joinRoom(room, SHARDED)));
    const open = joins.filter((join) => join.status === "fulfilled" && join.value.readyState === WebSocket.OPEN);
    expect(open.length).toBeGreaterThan(90);
    for (const versions of told.values()) expect(new Set(versions).size).toBe(versions.length);
    const calls = [...told.values()].reduce((sum, versions) => sum + versions.length, 0);
    const { shards } = await roomInfo(room);
    // At most one call per shard for each shard that joined after it.
    expect(calls).toBeLessThanOrEqual((shards * (shards - 1)) / 2);
  }, 30_000);
});
