/**
 * Rooms that lose nothing over several objects (three members per object): a member
 * dropped mid-stream resumes through another object, and after every object of the
 * room restarted with its sockets lost; a publish carries who sent it and how.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseMember } from "../../../../src/rooms/member";
import { Room } from "../../../../src/rooms/room";
import { fetchWithVars, waitForMessages } from "../../helpers";
import { SECRET, token } from "../access/tokens";
import { freshRoom, joinRoom, roomShard, shardMembers } from "../helpers";
import { drop, type Frame, joinPositioned } from "./positioned";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };

afterEach(() => {
  vi.restoreAllMocks();
});
const SHARDED_JOIN = { vars: SHARDED };

/** The messages of each sender, in the order the member got them. */
function bySender(frames: readonly Frame[]): Map<string, string[]> {
  const senders = new Map<string, string[]>();
  for (const frame of frames) {
    if (frame.type !== "message" || typeof frame.data !== "string") continue;
    const [who = ""] = frame.data.split(" ");
    senders.set(who, [...(senders.get(who) ?? []), frame.data]);
  }
  return senders;
}

const series = (who: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${who} ${from + i}`);

describe("a positioned member of a room over several objects", () => {
  it("dropped mid-stream, resumes through another object with every message once, in each sender's order", async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 8; i++) members.push(await joinRoom(room, SHARDED_JOIN)); // [3,3,2]
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 2's third place
    expect(await shardMembers(room, 3)).toEqual([3, 3, 3]);
    const senders = { a: members[0], b: members[3], c: members[6] }; // one on each object
    const witness = members[1];
    if (!witness) throw new Error("no witness");
    const send = async (from: number, to: number) => {
      const arriving = waitForMessages(witness, 2 * (to - from));
      for (let i = from; i < to; i++)
        for (const [who, socket] of Object.entries(senders)) if (who !== "a") socket?.send(`${who} ${i}`);
      for (let i = from; i < to; i++) senders.a?.send(`a ${i}`);
      await arriving;
    };
    await send(0, 20);
    await member.frameCount(61);
    const last = member.frames.at(-1);
    await drop(member.socket);
    await send(20, 40);
    // Its place is taken: it comes back through a new object.
    await joinRoom(room, SHARDED_JOIN);
    const back = await joinPositioned(room, `since=${last?.position}`, SHARDED);
    expect(await shardMembers(room, 4)).toEqual([3, 3, 3, 1]);
    await back.frameCount(61);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 60 });
    await send(40, 45);
    await back.frameCount(76);
    const got = bySender(back.frames);
    for (const who of ["a", "b", "c"]) expect(got.get(who)).toEqual(series(who, 20, 45));
  }, 30_000);

  it("resumes with nothing missed after every object of the room restarted and lost its sockets", async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await joinRoom(room, SHARDED_JOIN)); // [3,3]
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 2
    const [a, b] = [members[0], members[3]];
    a?.send("a 0");
    b?.send("b 0");
    await member.frameCount(3);
    const last = member.frames.at(-1);
    for (const index of [0, 1, 2]) await evictDurableObject(roomShard(room, index), { webSockets: "close" });

    const fresh = [await joinRoom(room, SHARDED_JOIN), await joinRoom(room, SHARDED_JOIN)];
    const back = await joinPositioned(room, `since=${last?.position}`, SHARDED);
    await back.frameCount(1);
    const arriving = waitForMessages(fresh[1] as WebSocket, 1);
    fresh[0]?.send("after the restart");
    await arriving;
    await back.frameCount(2);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 0 });
    expect(back.messages()).toEqual(["after the restart"]);
  }, 30_000);
});

describe("positioned members of an object, once caught up", () => {
  it("share one envelope per message, though some objects of the room never had a message", async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await joinRoom(room, SHARDED_JOIN)); // [3,3]
    const first = await joinPositioned(room, "history=0", SHARDED); // shard 2, as the next one
    const second = await joinPositioned(room, "history=0", SHARDED);
    await Promise.all([first.frameCount(1), second.frameCount(1)]);
    // Only shard 0 ever has a message: shards 1 and 2 stay empty origins.
    members[0]?.send("from shard 0");
    await Promise.all([first.frameCount(2), second.frameCount(2)]);
    expect(first.frames[1]?.position).toBe(second.frames[1]?.position);
    // A member with floors left gets an envelope of its own for every message; none is left here.
    const floors = await runInDurableObject(roomShard(room, 2), (_room: Room, state) =>
      state.getWebSockets().map((socket) => parseMember(socket.deserializeAttachment())?.floors),
    );
    expect(floors).toEqual([null, null]);
  });
});

describe("a positioned member closed 1012 because a link lost messages", () => {
  it("rejoins with since and gets what the link lost, once", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await joinRoom(room, SHARDED_JOIN)); // [3,3]
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 2
    await member.frameCount(1);
    const target = await runInDurableObject(roomShard(room, 2), (instance: Room) => instance);
    const relay = Room.prototype.relay;
    let cut = 1;
    vi.spyOn(Room.prototype, "relay").mockImplementation(function (this: Room, batch) {
      if (this === target && cut > 0) {
        cut--;
        throw new Error("unreachable (test)");
      }
      return relay.call(this, batch);
    });
    const closed = new Promise<CloseEvent>((resolve) =>
      member.socket.addEventListener("close", resolve, { once: true }),
    );
    members[0]?.send("lost on the way");
    const event = await closed;
    expect(event.code).toBe(1012);
    const position = member.frames.at(-1)?.position;
    const back = await joinPositioned(room, `since=${position}`, SHARDED);
    await back.frameCount(2);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    expect(back.messages()).toEqual(["lost on the way"]);
  });
});

describe("a message published over HTTP", () => {
  it("reaches positioned members marked via http, with the publishing token's sub as sender", async () => {
    const room = freshRoom();
    const vars = { ...SHARDED, ROOM_AUTH: "token", ROOM_TOKEN_SECRET: SECRET, ROOM_TOKEN_QUERY: "on" };
    const reader = await token({ rooms: [room], sub: "reader" });
    const member = await joinPositioned(room, `history=0&token=${reader}`, vars);
    await member.frameCount(1);
    const writer = await token({ rooms: [room], write: true, sub: "backend" });
    const response = await fetchWithVars(`/rooms/${room}`, vars, {
      method: "POST",
      headers: { Authorization: `Bearer ${writer}`, "Content-Type": "text/plain" },
      body: "from the backend",
    });
    expect(response.status).toBe(202);
    const [, frame] = await member.frameCount(2);
    expect(frame).toMatchObject({ type: "message", data: "from the backend", sender: "backend", via: "http" });
  });
});
