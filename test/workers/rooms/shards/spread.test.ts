/**
 * A room past one object, with three members per object (ROOM_SHARD_CONNECTIONS=3):
 * placement, delivery across objects, order, counts, the room's cap, leaving.
 */
import { describe, expect, it } from "vitest";
import { KEEPALIVE_REQUEST, KEEPALIVE_RESPONSE } from "../../../../src/rooms/room-object";
import { ROOM_FULL_REASON } from "../../../../src/rooms/shards/placement";
import {
  bytesOf,
  payload,
  type Received,
  UNLIMITED_MESSAGES,
  WAIT_MS,
  waitForClose,
  waitForMessage,
  waitForMessages,
} from "../../helpers";
import { freshRoom, type JoinOptions, joinMany, joinRoom, roomInfo, shardMembers } from "../helpers";

const SHARDED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3" } };

/** Joins `count` members of a room with three members per object; the n-th lands in shard ⌊n/3⌋. */
function joinSharded<N extends number>(room: string, count: N) {
  return joinMany(room, count, SHARDED);
}

/** Closes a socket and waits for the server's answer. */
async function leave(socket: WebSocket): Promise<void> {
  const closed = waitForClose(socket);
  socket.close(1000, "bye");
  await closed;
}

describe("a room past one object", () => {
  it("fills shard 0 first, then further objects, each up to ROOM_SHARD_CONNECTIONS", async () => {
    const room = freshRoom();
    await joinSharded(room, 3);
    expect(await roomInfo(room)).toEqual({ connections: 3, shards: 1 });
    await joinSharded(room, 4);
    expect(await shardMembers(room, 4)).toEqual([3, 3, 1, 0]);
    expect(await roomInfo(room)).toEqual({ connections: 7, shards: 3 });
  });

  it("delivers every member's message to every other member, on every object", async () => {
    const room = freshRoom();
    const members = await joinSharded(room, 7);
    for (const [from, sender] of members.entries()) {
      const others = members.filter((member) => member !== sender);
      const arriving = others.map((member) => waitForMessage(member));
      sender.send(`from member ${from}`);
      expect(await Promise.all(arriving)).toEqual(others.map(() => `from member ${from}`));
    }
  });

  it("keeps each sender's order: three senders on three objects, 500 pipelined messages each", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 9, { vars: { ...SHARDED.vars, ...UNLIMITED_MESSAGES } });
    const senders = [0, 3, 6] as const;
    const count = 500;
    const arriving = members.map((member, at) =>
      waitForMessages(member, senders.filter((sender) => sender !== at).length * count),
    );
    // Interleaved, text and binary in turn, so a message of the wrong type or from the wrong place shows.
    for (let i = 0; i < count; i++) {
      for (const sender of senders) {
        members[sender]?.send(i % 2 === 0 ? `${sender}:${i}` : new Uint32Array([sender, i]));
      }
    }
    const received = await Promise.all(arriving);
    for (const [at, messages] of received.entries()) {
      for (const sender of senders) {
        const expected = sender === at ? [] : Array.from({ length: count }, (_, i) => `${sender}:${i}`);
        expect(streamOf(messages, sender), `member ${at}, from ${sender}`).toEqual(expected);
      }
    }
  }, 60_000);

  it("gives every member the same order of the messages of one object's members", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 7, { vars: { ...SHARDED.vars, ...UNLIMITED_MESSAGES } });
    const count = 200;
    // Members 0 and 1 share shard 0; the others watch from shards 0, 1 and 2.
    const watchers = members.slice(2);
    const arriving = watchers.map((member) => waitForMessages(member, 2 * count));
    for (let i = 0; i < count; i++) {
      members[0].send(`0:${i}`);
      members[1].send(`1:${i}`);
    }
    const [first, ...rest] = await Promise.all(arriving);
    for (const other of rest) expect(other).toEqual(first);
  }, 30_000);

  it("sends a member its own messages with ?echo=1, and relays binary as binary, byte for byte", async () => {
    const room = freshRoom();
    const members = await joinSharded(room, 4);
    const echoing = await joinRoom(room, { ...SHARDED, echo: true });
    expect(await shardMembers(room, 2)).toEqual([3, 2]);
    const atEchoing = waitForMessages(echoing, 3);
    const atFirst = waitForMessages(members[0], 3);
    echoing.send(new Uint8Array([0, 1, 127, 128, 255]));
    echoing.send(new Uint8Array(0));
    echoing.send("");
    for (const messages of [await atEchoing, await atFirst]) {
      const [binary, emptyBinary, emptyText] = messages;
      expect(binary).toBeInstanceOf(ArrayBuffer);
      expect(bytesOf(binary)).toEqual([0, 1, 127, 128, 255]);
      expect(bytesOf(emptyBinary)).toEqual([]);
      expect(emptyText).toBe("");
    }
  });

  it("relays a message of the platform's 32 MiB cap, and large text, to another object intact", async () => {
    const room = freshRoom();
    const members = await joinSharded(room, 4);
    const arriving = waitForMessages(members[3], 2);
    const big = payload(32 * 1024 * 1024);
    const text = "é€😀".repeat(200_000); // 1.8 MB of UTF-8, over one call's batch
    members[0].send(big);
    members[0].send(text);
    const [binary, received] = await arriving;
    expect(binary).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(binary as ArrayBuffer)).toEqual(big);
    expect(received).toBe(text);
  }, 30_000);

  it("counts members and objects as members join and leave, and drops an object left empty", async () => {
    const room = freshRoom();
    const members = await joinSharded(room, 7);
    await leave(members[6]);
    expect(await roomInfo(room)).toEqual({ connections: 6, shards: 2 });
    await leave(members[3]);
    expect(await roomInfo(room)).toEqual({ connections: 5, shards: 2 });
    await leave(members[4]);
    await leave(members[5]);
    expect(await roomInfo(room)).toEqual({ connections: 3, shards: 1 });

    // Refilled, the room grows again, and messages cross the new objects.
    const newcomers = await joinSharded(room, 4);
    expect(await roomInfo(room)).toEqual({ connections: 7, shards: 3 });
    const arriving = waitForMessage(members[0]);
    newcomers[3].send("from a refilled room");
    expect(await arriving).toBe("from a refilled room");
  });

  it("places a newcomer in an object with a free place before it opens a new one", async () => {
    const room = freshRoom();
    const members = await joinSharded(room, 9);
    await leave(members[4]);
    expect(await roomInfo(room)).toEqual({ connections: 8, shards: 3 });
    await joinSharded(room, 1);
    expect(await shardMembers(room, 4)).toEqual([3, 3, 3, 0]);
  });
});

describe("the room's total, ROOM_MAX_CONNECTIONS, over its objects", () => {
  const CAPPED: JoinOptions = { vars: { ROOM_SHARD_CONNECTIONS: "3", ROOM_MAX_CONNECTIONS: "5" } };

  it("closes a join past the total with 1013 'room full', whichever object has places", async () => {
    const room = freshRoom();
    const members = await joinMany(room, 5, CAPPED);
    const refused = await joinRoom(room, CAPPED);
    const event = await waitForClose(refused);
    expect(event.code).toBe(1013);
    expect(event.reason).toBe(ROOM_FULL_REASON);
    expect(await roomInfo(room)).toEqual({ connections: 5, shards: 2 });

    await leave(members[4]);
    const again = await joinRoom(room, CAPPED);
    expect(again.readyState).toBe(WebSocket.OPEN);
    expect(await roomInfo(room)).toEqual({ connections: 5, shards: 2 });
  });

  it("lets exactly the free places in when joins race for them, and overfills no object", async () => {
    const room = freshRoom();
    const vars = { ROOM_SHARD_CONNECTIONS: "3", ROOM_MAX_CONNECTIONS: "8" };
    await joinMany(room, 2, { vars });
    const fates = await Promise.all(Array.from({ length: 12 }, async () => fateOf(await joinRoom(room, { vars }))));
    expect(fates.filter((fate) => fate === "member")).toHaveLength(6);
    expect(fates.filter((fate) => fate !== "member")).toEqual(Array(6).fill(`closed 1013 ${ROOM_FULL_REASON}`));
    const members = await shardMembers(room, 4);
    expect(members.reduce((sum, count) => sum + count, 0)).toBe(8);
    for (const count of members) expect(count).toBeLessThanOrEqual(3);
  });
});

/**
 * "member" when the socket is in the room (the runtime answers its `ping`), or how it
 * was closed when the room refused it: one or the other, never both, whatever the timing.
 * Call it as soon as the socket is accepted, before its events are dispatched.
 */
function fateOf(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`neither a pong nor a close in ${WAIT_MS} ms`)), WAIT_MS);
    const settle = (fate: string) => {
      clearTimeout(timer);
      resolve(fate);
    };
    socket.addEventListener("message", (event) => settle(event.data === KEEPALIVE_RESPONSE ? "member" : "message"));
    socket.addEventListener("close", (event) => settle(`closed ${event.code} ${event.reason}`));
    socket.send(KEEPALIVE_REQUEST);
  });
}

/** The messages from one sender of the order test, as `sender:i` whether they came as text or binary. */
function streamOf(messages: Received[], sender: number): string[] {
  const stream: string[] = [];
  for (const message of messages) {
    if (typeof message === "string") {
      if (message.startsWith(`${sender}:`)) stream.push(message);
    } else {
      const [from, i] = new Uint32Array(message);
      if (from === sender) stream.push(`${sender}:${i}`);
    }
  }
  return stream;
}
