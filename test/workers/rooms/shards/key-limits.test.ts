/**
 * ROOM_MAX_PER_USER and ROOM_MAX_PER_ADDRESS over a room of three objects: one token
 * or one address cannot take more than its share, whichever objects its connections
 * land in, and the counts follow live sockets through leaves, restarts and wakes.
 */
import { evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { accept, waitForClose, waitForMessage } from "../../helpers";
import { TOKEN_VARS, token } from "../access/tokens";
import { freshRoom, type JoinOptions, joinResponse, joinRoom, roomShard, shardMembers } from "../helpers";

/** Three objects of two members each hold a room of six. */
const SPREAD: Partial<Env> = { ROOM_SHARD_CONNECTIONS: "2", ROOM_MAX_CONNECTIONS: "100" };
const ADDRESS_CAP = { ...SPREAD, ROOM_MAX_PER_ADDRESS: "3" };
const USER_CAP = { ...SPREAD, ...TOKEN_VARS, ROOM_MAX_PER_USER: "3", ROOM_MAX_PER_ADDRESS: "0" };
const ADDRESS_REASON = "too many connections from this address in this room (ROOM_MAX_PER_ADDRESS=3)";
const USER_REASON = "too many connections for this user in this room (ROOM_MAX_PER_USER=3)";

afterEach(() => {
  vi.restoreAllMocks();
});

function from(address: string, vars: Partial<Env> = ADDRESS_CAP): JoinOptions {
  return { vars, headers: { "CF-Connecting-IP": address } };
}

async function as(sub: string, vars: Partial<Env> = USER_CAP): Promise<JoinOptions> {
  return { vars, headers: { Authorization: `Bearer ${await token({ sub })}` } };
}

/** Joins and expects to be let in: no close within a moment. */
async function joined(room: string, options: JoinOptions): Promise<WebSocket> {
  const socket = await joinRoom(room, options);
  const closed = await Promise.race([waitForClose(socket), new Promise((resolve) => setTimeout(resolve, 50))]);
  if (closed !== undefined) {
    const event = closed as CloseEvent;
    throw new Error(`expected a member, got close ${event.code} ${event.reason}`);
  }
  return socket;
}

/** Joins and returns the close it gets at once. */
async function refused(room: string, options: JoinOptions): Promise<{ code: number; reason: string }> {
  const socket = await joinRoom(room, options);
  const { code, reason } = await waitForClose(socket);
  return { code, reason };
}

/** Lets the leave reports reach the directory. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe("ROOM_MAX_PER_ADDRESS", () => {
  it("closes an address's connection past the cap with 1008, counted over all the room's objects", async () => {
    const room = freshRoom();
    await joined(room, from("192.0.2.9")); // shard 0
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await joined(room, from("192.0.2.1"))); // shards 0, 1, 1
    const other = await joined(room, from("198.51.100.7")); // shard 2
    expect(await shardMembers(room, 3)).toEqual([2, 2, 1]);

    expect(await refused(room, from("192.0.2.1"))).toEqual({ code: 1008, reason: ADDRESS_REASON });
    expect(await shardMembers(room, 3)).toEqual([2, 2, 1]);

    // Everyone else is unaffected: a second address joins, members keep talking.
    const second = await joined(room, from("198.51.100.7")); // shard 2
    const heard = waitForMessage(second);
    mine[2]?.send("still here");
    expect(await heard).toBe("still here");
    expect(other.readyState).toBe(WebSocket.OPEN);
  });

  it("counts an IPv6 address by its /64", async () => {
    const room = freshRoom();
    for (const host of ["1", "2", "3"]) await joined(room, from(`2001:db8:1:2::${host}`));
    expect(await refused(room, from("2001:db8:1:2:ffff::4"))).toEqual({ code: 1008, reason: ADDRESS_REASON });
    await joined(room, from("2001:db8:1:3::1"));
  });

  it("lets the address in again once one of its connections on another object left", async () => {
    const room = freshRoom();
    await joined(room, from("192.0.2.9"));
    await joined(room, from("192.0.2.9"));
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await joined(room, from("192.0.2.1"))); // shards 1, 1, 2
    expect(await refused(room, from("192.0.2.1"))).toMatchObject({ code: 1008 });
    const left = mine[0];
    if (left === undefined) throw new Error("no member");
    const closed = waitForClose(left);
    left.close(1000, "bye");
    await closed;
    await settle();
    await joined(room, from("192.0.2.1"));
  });

  it("does not count a connection with no address", async () => {
    const room = freshRoom();
    for (let i = 0; i < 5; i++) await joined(room, { vars: { ...ADDRESS_CAP } });
  });

  it("is off at 0", async () => {
    const room = freshRoom();
    const off = { ...ADDRESS_CAP, ROOM_MAX_PER_ADDRESS: "0" };
    for (let i = 0; i < 6; i++) await joined(room, from("192.0.2.1", off));
    expect(await shardMembers(room, 3)).toEqual([2, 2, 2]);
  });
});

describe("ROOM_MAX_PER_USER", () => {
  it("closes a token's connection past the cap with 1008, over all objects, and leaves other users alone", async () => {
    const room = freshRoom();
    const alice = await as("alice");
    await joined(room, await as("bob")); // shard 0
    for (let i = 0; i < 3; i++) await joined(room, alice); // shards 0, 1, 1
    expect(await refused(room, alice)).toEqual({ code: 1008, reason: USER_REASON });
    const bob = await as("bob");
    await joined(room, bob);
    await joined(room, bob);
    expect(await refused(room, bob)).toEqual({ code: 1008, reason: USER_REASON });
    expect(await shardMembers(room, 3)).toEqual([2, 2, 2]);
  });

  it("is off at 0", async () => {
    const room = freshRoom();
    const alice = await as("alice", { ...USER_CAP, ROOM_MAX_PER_USER: "0" });
    for (let i = 0; i < 5; i++) await joined(room, alice);
  });

  it("applies to users only: an open room has none", async () => {
    const room = freshRoom();
    const open = { ...SPREAD, ROOM_MAX_PER_USER: "1", ROOM_MAX_PER_ADDRESS: "0" };
    for (let i = 0; i < 4; i++) await joined(room, { vars: open });
  });
});

describe("the counts follow live sockets", () => {
  it("after an object restarted and lost its sockets, their places are free again", async () => {
    const room = freshRoom();
    await joined(room, from("192.0.2.9"));
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await joined(room, from("192.0.2.1"))); // shards 0, 1, 1
    expect(await refused(room, from("192.0.2.1"))).toMatchObject({ code: 1008 });

    const lost = [mine[1], mine[2]].map((socket) => (socket === undefined ? null : waitForClose(socket)));
    await evictDurableObject(roomShard(room, 1), { webSockets: "close" });
    await Promise.all(lost);
    // Shard 1 says nothing of its restart: the directory asks it again before refusing.
    await vi.waitFor(() => joined(room, from("192.0.2.1")), { timeout: 5_000, interval: 300 });
    await joined(room, from("192.0.2.1"));
    expect(await refused(room, from("192.0.2.1"))).toMatchObject({ code: 1008 });
  });

  it("after the directory woke, knowing nothing of the other objects' keys, it still refuses past the cap", async () => {
    const room = freshRoom();
    for (let i = 0; i < 2; i++) await joined(room, from("192.0.2.9"));
    for (let i = 0; i < 3; i++) await joined(room, from("192.0.2.1")); // shards 1, 1, 2
    await evictDurableObject(roomShard(room, 0));
    expect(await refused(room, from("192.0.2.1"))).toEqual({ code: 1008, reason: ADDRESS_REASON });
    await joined(room, from("192.0.2.2"));
  });

  it("after every object was evicted (sockets kept), a member's leave still frees its place", async () => {
    const room = freshRoom();
    await joined(room, from("192.0.2.9"));
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await joined(room, from("192.0.2.1"))); // shards 0, 1, 1
    for (const index of [0, 1]) await evictDurableObject(roomShard(room, index));
    expect(await refused(room, from("192.0.2.1"))).toMatchObject({ code: 1008 });
    const left = mine[2];
    if (left === undefined) throw new Error("no member");
    const closed = waitForClose(left);
    left.close(1000, "bye");
    await closed;
    await settle();
    await joined(room, from("192.0.2.1"));
  });
});

describe("a refused join", () => {
  it("is a 101 whose socket closes at once, with the subprotocol chosen", async () => {
    const room = freshRoom();
    const vars = { ...ADDRESS_CAP, ROOM_MAX_PER_ADDRESS: "1", SUBPROTOCOLS: "chat.v1" };
    const headers = { "CF-Connecting-IP": "192.0.2.1", "Sec-WebSocket-Protocol": "chat.v1" };
    await joined(room, { vars, headers });
    const response = await joinResponse(room, { vars, headers });
    expect(response.status).toBe(101);
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("chat.v1");
    const { code, reason } = await waitForClose(accept(response));
    expect({ code, reason }).toEqual({
      code: 1008,
      reason: "too many connections from this address in this room (ROOM_MAX_PER_ADDRESS=1)",
    });
  });
});
