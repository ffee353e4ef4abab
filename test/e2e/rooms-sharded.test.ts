/**
 * A room past one object over real sockets: `wrangler dev` with three members per
 * object (ROOM_SHARD_CONNECTIONS=3), clients through the `ws` library.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, type Received, waitForClose, waitForMessages } from "./ws-client.ts";

const SHARD_CONNECTIONS = 3;
const CLOSE_TRY_AGAIN_LATER = 1013;

let server: DevServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startDevServer({ ROOM_SHARD_CONNECTIONS: String(SHARD_CONNECTIONS), ROOM_MAX_CONNECTIONS: "12" });
});

afterAll(() => server?.stop());

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
});

/** `count` members of `room`, joined one after the other: the n-th lands in shard ⌊n/3⌋. */
async function join(room: string, count: number, query = ""): Promise<Client[]> {
  const joined: Client[] = [];
  for (let i = 0; i < count; i++) {
    const client = await openClient(`${server.wsUrl}/rooms/${room}${query}`);
    clients.push(client);
    joined.push(client);
  }
  return joined;
}

async function roomInfo(room: string): Promise<unknown> {
  const response = await fetch(`${server.httpUrl}/rooms/${room}`);
  expect(response.status).toBe(200);
  return response.json();
}

function freshRoom(): string {
  return `sharded-${crypto.randomUUID()}`;
}

describe("a room past one object, under wrangler dev", () => {
  it("spreads members over objects of three, and counts members and objects", async () => {
    const room = freshRoom();
    await join(room, 3);
    expect(await roomInfo(room)).toEqual({ name: room, connections: 3, shards: 1, history: 1000, presence: 1000 });
    const more = await join(room, 4);
    expect(await roomInfo(room)).toEqual({ name: room, connections: 7, shards: 3, history: 1000, presence: 1000 });

    const last = more[3];
    if (last === undefined) throw new Error("no seventh member");
    last.ws.close(1000, "bye");
    await waitForClose(last);
    expect(await roomInfo(room)).toEqual({ name: room, connections: 6, shards: 2, history: 1000, presence: 1000 });
  });

  it("delivers each of three senders' messages, on three objects, to every member in the sender's order", async () => {
    const room = freshRoom();
    const members = await join(room, 9);
    const senders = [0, 3, 6];
    const count = 300;
    for (let i = 0; i < count; i++) {
      for (const sender of senders) {
        const text = `${sender}:${i}`;
        // Text and binary in turn: the frame type must cross objects too.
        members[sender]?.ws.send(i % 2 === 0 ? text : Buffer.from(text), { binary: i % 2 === 1 });
      }
    }
    for (const [at, member] of members.entries()) {
      const expected = senders.filter((sender) => sender !== at).length * count;
      const received = await waitForMessages(member, expected, 30_000);
      for (const sender of senders) {
        if (sender === at) continue;
        expect(streamOf(received, sender), `member ${at}, from ${sender}`).toEqual(
          Array.from({ length: count }, (_, i) => ({ text: `${sender}:${i}`, binary: i % 2 === 1 })),
        );
      }
    }
  }, 60_000);

  it("sends a member on another object its own messages back with ?echo=1", async () => {
    const room = freshRoom();
    const [first] = await join(room, 3);
    const [echoing] = await join(room, 1, "?echo=1");
    if (first === undefined || echoing === undefined) throw new Error("members missing");
    echoing.ws.send("mine, from shard 1");
    const [own] = await waitForMessages(echoing, 1);
    const [relayed] = await waitForMessages(first, 1);
    expect(own?.data.toString()).toBe("mine, from shard 1");
    expect(relayed?.data.toString()).toBe("mine, from shard 1");
  });

  it("closes a join past ROOM_MAX_CONNECTIONS with 1013 'room full', the room spread over four objects", async () => {
    const room = freshRoom();
    await join(room, 12);
    expect(await roomInfo(room)).toEqual({ name: room, connections: 12, shards: 4, history: 1000, presence: 1000 });
    const [refused] = await join(room, 1);
    if (refused === undefined) throw new Error("no thirteenth client");
    expect(await waitForClose(refused)).toEqual({ code: CLOSE_TRY_AGAIN_LATER, reason: "room full" });
  }, 30_000);
});

/** One sender's messages as text and frame type, in the order they arrived. */
function streamOf(received: Received[], sender: number): { text: string; binary: boolean }[] {
  return received
    .map(({ data, binary }) => ({ text: data.toString(), binary }))
    .filter(({ text }) => text.startsWith(`${sender}:`));
}
