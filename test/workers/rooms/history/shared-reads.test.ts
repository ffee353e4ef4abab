/**
 * Positioned members joining an object at the same time share their reads of the room's
 * other objects (as after a reset, when they come back together), and each still gets
 * exactly its own catch-up.
 */
import { evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Room } from "../../../../src/rooms/room";
import { waitForMessages } from "../../helpers";
import { freshRoom, joinRoom, roomShard, shardMembers } from "../helpers";
import { joinPositioned } from "./positioned";

const vars = { ROOM_SHARD_CONNECTIONS: "10" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Stalls every `historyRead` until the returned function is called. */
function stallReads() {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const read = Room.prototype.historyRead;
  const reads = vi.spyOn(Room.prototype, "historyRead").mockImplementation(async function (this: Room, query) {
    await gate;
    return read.call(this, query);
  });
  return { reads, open };
}

describe("positioned members joining an object together", () => {
  it("read each other object once a round between them, and each gets its own last N", async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 20; i++) members.push(await joinRoom(room, { vars })); // [10,10]
    const [early, late] = [members[0], members[10]];
    if (early === undefined || late === undefined) throw new Error("no senders");
    const arriving = waitForMessages(members[1] as WebSocket, 6);
    for (let i = 1; i <= 3; i++) early.send(`e${i}`);
    for (let i = 1; i <= 3; i++) late.send(`l${i}`);
    await arriving;

    // The first read stalls until every member has joined and asked: the rest wait for one round.
    const { reads, open } = stallReads();
    const joined = await Promise.all(Array.from({ length: 8 }, (_, n) => joinPositioned(room, `history=${n}`, vars)));
    expect(await shardMembers(room, 3)).toEqual([10, 10, 8]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    open();

    for (const [n, member] of joined.entries()) {
      const frames = await member.frameCount(1 + Math.min(n, 6));
      expect(frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: Math.min(n, 6) });
    }
    // Two objects to read, in two rounds (the first member's, then everyone else's), not 8 × 2.
    expect(reads).toHaveBeenCalledTimes(4);
    // The last N of the room: three from each sender, newest last within each sender's order.
    const last = joined[7]?.messages() ?? [];
    expect([...last].sort()).toEqual(["e1", "e2", "e3", "l1", "l2", "l3"]);
    for (const [n, member] of joined.entries())
      expect(member.messages()).toEqual(last.slice(last.length - Math.min(n, 6)));
  });

  it("coming back from the same position after their object reset, share reads and each gets what it missed, once", async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 20; i++) members.push(await joinRoom(room, { vars })); // [10,10]
    const joined = await Promise.all(Array.from({ length: 8 }, () => joinPositioned(room, "history=0", vars)));
    const [early, late, witness] = [members[0], members[10], members[1]];
    if (early === undefined || late === undefined || witness === undefined) throw new Error("no senders");
    early.send("before");
    const positions = await Promise.all(joined.map(async (member) => (await member.frameCount(2))[1]?.position));
    expect(new Set(positions).size).toBe(1);
    await evictDurableObject(roomShard(room, 2), { webSockets: "close" });
    const arriving = waitForMessages(witness, 3);
    early.send("away 1");
    late.send("away 2");
    early.send("away 3");
    await arriving;

    const { reads, open } = stallReads();
    const back = await Promise.all(joined.map(() => joinPositioned(room, `since=${positions[0]}`, vars)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    open();
    for (const member of back) {
      const frames = await member.frameCount(4);
      expect(frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 3 });
      expect([...member.messages()].sort()).toEqual(["away 1", "away 2", "away 3"]);
    }
    expect(reads.mock.calls.length).toBeLessThanOrEqual(4);
  });
});
