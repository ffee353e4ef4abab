/**
 * A room past one object when an object goes away: evicted (its sockets hibernate),
 * restarted (its sockets are gone), or unreachable from another object.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MISSED_MESSAGES_REASON } from "../../../../src/rooms/members";
import { Room } from "../../../../src/rooms/room";
import { ROOM_BUSY_REASON } from "../../../../src/rooms/shards/placement";
import { EVENTUALLY, UNLIMITED_MESSAGES, waitForClose, waitForMessage, waitForMessages } from "../../helpers";
import { freshRoom, type JoinOptions, joinMany, joinRoom, roomInfo, roomShard, shardMembers } from "../helpers";

const SHARDED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3" } };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Sends `count` numbered messages from `sender`, without waiting for anything. */
function burst(sender: WebSocket, label: string, from: number, count: number): string[] {
  const sent = Array.from({ length: count }, (_, i) => `${label} ${from + i}`);
  for (const text of sent) sender.send(text);
  return sent;
}

describe("eviction mid-conversation", () => {
  for (const [kind, evicted] of [
    ["the directory (shard 0)", 0],
    ["the sender's shard", 2],
    ["a receiving shard", 1],
  ] as const) {
    it(`delivers every message once, in order, when ${kind} is evicted while messages flow`, async () => {
      const room = freshRoom();
      const members = await joinMany(room, 7, { vars: { ...SHARDED.vars, ...UNLIMITED_MESSAGES } });
      const sender = members[6];
      const receivers = members.slice(0, 6);
      const arriving = receivers.map((member) => waitForMessages(member, 200));
      const before = burst(sender, "before", 0, 100);
      await evictDurableObject(roomShard(room, evicted));
      const after = burst(sender, "after", 100, 100);
      for (const messages of await Promise.all(arriving)) expect(messages).toEqual([...before, ...after]);

      // What the room must remember came back from storage: its count, its objects, its placement.
      expect(await roomInfo(room)).toEqual({ connections: 7, shards: 3 });
      const newcomer = await joinRoom(room, SHARDED);
      expect(await shardMembers(room, 3)).toEqual([3, 3, 2]);
      const atNewcomer = waitForMessage(newcomer);
      members[0].send("after the eviction, to the newcomer");
      expect(await atNewcomer).toBe("after the eviction, to the newcomer");
    }, 30_000);
  }

  it("keeps delivering when every object of the room is evicted at once", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    for (const index of [0, 1, 2]) await evictDurableObject(roomShard(room, index));
    const arriving = members.slice(1).map((member) => waitForMessage(member));
    members[0].send("after a full eviction");
    for (const message of await Promise.all(arriving)) expect(message).toBe("after a full eviction");
  });
});

describe("a restart that loses an object's sockets", () => {
  it("closes that object's members, delivers everything to the rest, and drops the object once it wakes", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    const lost = members.slice(3, 6).map((member) => waitForClose(member));
    await evictDurableObject(roomShard(room, 1), { webSockets: "close" });
    await Promise.all(lost);

    const kept = [members[0], members[1], members[2], members[6]];
    const arriving = kept.slice(1).map((member) => waitForMessages(member, 50));
    const sent = burst(members[0], "after the restart", 0, 50);
    for (const messages of await Promise.all(arriving)) expect(messages).toEqual(sent);
    // Relayed to with no members, the restarted object tells the directory, which drops it.
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 4, shards: 2 }), EVENTUALLY);
  });
});

describe("an object another cannot reach", () => {
  /** Makes shard `index` of `room` throw on the calls other shards make to relay, `times` times (or always). */
  async function cutOff(room: string, index: number, times = Number.POSITIVE_INFINITY) {
    const target = await runInDurableObject(roomShard(room, index), (instance: Room) => instance);
    const relay = Room.prototype.relay;
    let failed = 0;
    return vi.spyOn(Room.prototype, "relay").mockImplementation(function (this: Room, batch) {
      if (this === target && failed < times) {
        failed++;
        throw new Error(`shard ${index} is unreachable (test)`);
      }
      return relay.call(this, batch);
    });
  }

  it("closes its members with 1012 and a reason as soon as it can be told, and logs the loss", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    const errors = vi.spyOn(console, "error");
    await cutOff(room, 2, 1);
    const closed = waitForClose(members[6]);
    const atShard1 = waitForMessage(members[3]);
    members[0].send("lost for shard 2");
    expect(await atShard1).toBe("lost for shard 2");
    const event = await closed;
    expect(event.code).toBe(1012);
    expect(event.reason).toBe(MISSED_MESSAGES_REASON);

    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(logged).toContainEqual(
      expect.objectContaining({
        event: "room_relay_failed",
        room,
        shard: 0,
        to: 2,
        socket: expect.any(String),
        lost: 1,
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ event: "room_messages_missed", room, shard: 2, from: 0, closed: 1 }),
    );
    // The rest of the room goes on, and the emptied object leaves it.
    const atShard0 = waitForMessage(members[1]);
    members[3].send("still here");
    expect(await atShard0).toBe("still here");
    await vi.waitFor(async () => expect(await roomInfo(room)).toEqual({ connections: 6, shards: 2 }), EVENTUALLY);
  });

  it("while it stays unreachable, closes its members at the first call that gets through", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, SHARDED);
    const relay = await cutOff(room, 2);
    const atShard1 = waitForMessages(members[3], 2);
    members[0].send("lost 1");
    members[0].send("lost 2");
    expect(await atShard1).toEqual(["lost 1", "lost 2"]);
    expect(members[6].readyState).toBe(WebSocket.OPEN);

    relay.mockRestore();
    const closed = waitForClose(members[6]);
    members[0].send("gets through");
    const event = await closed;
    expect(event.code).toBe(1012);
    expect(event.reason).toBe(MISSED_MESSAGES_REASON);
  });

  it("refuses a join that needs a new object with 1013 while some object cannot be told of it", async () => {
    const room = freshRoom();
    await joinMany(room, 4, SHARDED);
    const target = await runInDurableObject(roomShard(room, 1), (instance: Room) => instance);
    const setShards = Room.prototype.setShards;
    const announce = vi.spyOn(Room.prototype, "setShards").mockImplementation(function (this: Room, list) {
      if (this === target) throw new Error("shard 1 is unreachable (test)");
      return setShards.call(this, list);
    });
    await joinMany(room, 2, SHARDED);
    const refused = await joinRoom(room, SHARDED);
    const event = await waitForClose(refused);
    expect(event.code).toBe(1013);
    expect(event.reason).toBe(ROOM_BUSY_REASON);

    announce.mockRestore();
    const admitted = await joinRoom(room, SHARDED);
    expect(admitted.readyState).toBe(WebSocket.OPEN);
    expect(await roomInfo(room)).toEqual({ connections: 7, shards: 3 });
  });
});
