/**
 * The rooms client module (public/client/room-client.js) in Node, on Node's own WebSocket,
 * against `wrangler dev` with private rooms over several objects: it joins positioned, unwraps
 * envelopes, and after a real drop (its TCP connection cut by a proxy) comes back and resumes
 * with every message once, in order; it asks for a fresh token after 4401, waits longer after
 * 1013, and stops, saying why, after a close that would only be answered the same way.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RoomClient, type RoomClientEventMap, type RoomMessageEvent } from "../../public/client/room-client.js";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { DEFAULT_TIMEOUT_MS, withTimeout } from "./raw-socket.ts";
import { startProxy, type TcpProxy } from "./tcp-proxy.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const SECRET = "e2e-room-client-secret-of-32-bytes-at-least";
const ROOT = resolve(import.meta.dirname, "../..");
/** Small enough that a few plain members fill a room, for the 1013 test. */
const MAX_CONNECTIONS = 4;
/** Two members per object: a client that drops may come back through another object. */
const SHARD_CONNECTIONS = 2;
const MAX_MESSAGE_BYTES = 64;
/** Each object keeps this many messages: a client away for more cannot recover them. */
const HISTORY_MESSAGES = 4;

let server: DevServer;
let proxy: TcpProxy;
/** A token for every room these tests use, able to send. */
let token: string;
const clients: RoomClient[] = [];
const members: Client[] = [];

beforeAll(async () => {
  server = await startDevServer({
    ROOM_AUTH: "token",
    ROOM_TOKEN_SECRET: SECRET,
    ROOM_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    ROOM_SHARD_CONNECTIONS: String(SHARD_CONNECTIONS),
    MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    ROOM_HISTORY_MESSAGES: String(HISTORY_MESSAGES),
  });
  proxy = await startProxy(server.port);
  token = await mint("--sub", "tester", "--room", "rc-*", "--write");
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(members.splice(0).map(closeClient));
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A token from `npm run token`, signed with the server's secret. */
async function mint(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("node", ["scripts/token.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ROOM_TOKEN_SECRET: SECRET },
  });
  return stdout.trim();
}

function roomName(): string {
  return `rc-${crypto.randomUUID().slice(0, 8)}`;
}

/** A RoomClient through the proxy; every event it dispatches is recorded in order. */
function roomClient(room: string, options: ConstructorParameters<typeof RoomClient>[1] = {}) {
  const client = new RoomClient(`${proxy.wsUrl}/rooms/${room}`, { getToken: () => token, ...options });
  clients.push(client);
  const events: Event[] = [];
  for (const type of ["joined", "message", "reconnecting", "close", "error"] as const)
    client.on(type, (event) => events.push(event));
  return { client, events };
}

/** The next `type` event from now on, or a timeout naming what was awaited. */
function next<K extends keyof RoomClientEventMap>(
  client: RoomClient,
  type: K,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<RoomClientEventMap[K]> {
  return withTimeout(
    new Promise((resolve) => {
      const off = client.on(type, (event) => {
        off();
        resolve(event);
      });
    }),
    timeoutMs,
    `no "${type}" event from the room client within ${timeoutMs} ms`,
  );
}

/** Waits until `events` holds `count` message events; returns their data. */
async function messages(events: Event[], count: number): Promise<RoomMessageEvent[]> {
  const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
  const found = () => events.filter((e): e is RoomMessageEvent => e.type === "message");
  while (found().length < count) {
    if (Date.now() > deadline) throw new Error(`${found().length} of ${count} messages arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return found();
}

/** A plain member that sends (and gets its own messages back, so it knows the room has them). */
async function sender(room: string): Promise<Client> {
  const member = await openClient(`${server.wsUrl}/rooms/${room}?echo=1`, {}, ["room-token", `room-token.${token}`]);
  members.push(member);
  return member;
}

async function say(member: Client, texts: string[]): Promise<void> {
  const before = member.received.length;
  for (const text of texts) member.ws.send(text);
  await waitForMessages(member, before + texts.length);
}

describe("the room client", () => {
  it("joins with the last N messages, then unwraps text, binary and published envelopes live", async () => {
    const room = roomName();
    const alice = await sender(room);
    await say(alice, ["one", "two", "three"]);
    const { client, events } = roomClient(room, { history: 2 });
    const joined = await next(client, "joined");
    expect(joined).toMatchObject({ recovered: true, replayed: 2, resumed: false });
    alice.ws.send(new Uint8Array([0, 1, 2, 255]));
    const published = await fetch(`${server.httpUrl}/rooms/${room}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
      body: "from a backend",
    });
    expect(published.status).toBe(202);
    const got = await messages(events, 4);
    expect(got.map((m) => (typeof m.data === "string" ? m.data : [...new Uint8Array(m.data)]))).toEqual([
      "two",
      "three",
      [0, 1, 2, 255],
      "from a backend",
    ]);
    expect(got.map((m) => [m.sender, m.via])).toEqual([
      ["tester", null],
      ["tester", null],
      ["tester", null],
      ["tester", "http"],
    ]);
    expect(new Set(got.map((m) => m.position)).size).toBe(4);
    expect(client.position).toBe(got[3]?.position);
    expect(got.every((m) => Math.abs(m.time - Date.now()) < 60_000)).toBe(true);
  });

  it("after a dropped connection, resumes from its last position: every message once, in order", async () => {
    const room = roomName();
    const alice = await sender(room);
    members.push(await openClient(`${server.wsUrl}/rooms/${room}`, {}, ["room-token", `room-token.${token}`]));
    const { client, events } = roomClient(room, { minDelayMs: 2000 });
    await next(client, "joined");
    await say(alice, ["a1", "a2"]);
    await messages(events, 2);

    const reconnecting = next(client, "reconnecting");
    proxy.dropAll();
    expect(await reconnecting).toMatchObject({ code: 1006, attempt: 1 });
    // Sent while the client is away: its first retry waits at least 1 s.
    await say(alice, ["b1", "b2", "b3"]);
    const resumed = await next(client, "joined");
    expect(resumed).toMatchObject({ resumed: true, recovered: true, replayed: 3 });
    await say(alice, ["c1"]);
    const got = await messages(events, 6);
    expect(got.map((m) => m.data)).toEqual(["a1", "a2", "b1", "b2", "b3", "c1"]);
    expect(events.map((e) => e.type)).toEqual([
      "joined",
      "message",
      "message",
      "reconnecting",
      "joined",
      "message",
      "message",
      "message",
      "message",
    ]);
  });

  it("says it could not recover when it was away for more than the history keeps, then goes live", async () => {
    const room = roomName();
    const alice = await sender(room);
    const { client, events } = roomClient(room, { minDelayMs: 2000 });
    await next(client, "joined");
    await say(alice, ["a1"]);
    await messages(events, 1);
    const reconnecting = next(client, "reconnecting");
    proxy.dropAll();
    await reconnecting;
    await say(
      alice,
      Array.from({ length: HISTORY_MESSAGES + 2 }, (_, i) => `b${i}`),
    );
    const joined = await next(client, "joined");
    expect(joined).toMatchObject({ resumed: true, recovered: false });
    expect(typeof joined.start).toBe("string");
    await say(alice, ["live"]);
    const got = await messages(events, 2 + joined.replayed);
    expect(got.at(-1)?.data).toBe("live");
    expect(got.map((m) => m.data)).not.toContain("b0");
  });

  it("queues what is sent while away and sends it once joined again", async () => {
    const room = roomName();
    const alice = await sender(room);
    const { client } = roomClient(room, { minDelayMs: 400, maxQueued: 2 });
    await next(client, "joined");
    const reconnecting = next(client, "reconnecting");
    proxy.dropAll();
    await reconnecting;
    expect([client.send("q1"), client.send("q2"), client.send("q3")]).toEqual([
      expect.any(String),
      expect.any(String),
      false,
    ]);
    await next(client, "joined");
    const [first, second] = (await waitForMessages(alice, 2)).map((m) => m.data.toString());
    expect([first, second]).toEqual(["q1", "q2"]);
  });

  it("asks getToken again after 4401, and joins with the new token", async () => {
    const room = roomName();
    const tokens = ["not-a-token", token];
    let asked = 0;
    const { client } = roomClient(room, { minDelayMs: 100, getToken: async () => tokens[asked++] ?? "" });
    const reconnecting = await next(client, "reconnecting");
    expect(reconnecting).toMatchObject({ code: 4401 });
    await next(client, "joined");
    expect(asked).toBe(2);
  });

  it("stops after 4403 and says why, without reconnecting", async () => {
    const elsewhere = await mint("--sub", "eve", "--room", "elsewhere");
    const { client, events } = roomClient(roomName(), { minDelayMs: 100, getToken: () => elsewhere });
    const closed = await next(client, "close");
    expect(closed).toMatchObject({ code: 4403, why: "the server's answer would be the same" });
    expect(client.readyState).toBe(RoomClient.CLOSED);
    await new Promise((r) => setTimeout(r, 500));
    expect(events.map((e) => e.type)).toEqual(["close"]);
  });

  it("waits longer after 1013 (room full), then joins once there is room", async () => {
    const room = roomName();
    for (let i = 0; i < MAX_CONNECTIONS; i++) await sender(room);
    const { client } = roomClient(room, { minDelayMs: 50, laterDelayMs: 1000 });
    const reconnecting = await next(client, "reconnecting");
    expect(reconnecting.code).toBe(1013);
    // Jittered between half and all of laterDelayMs; never minDelayMs's 50.
    expect(reconnecting.delay).toBeGreaterThanOrEqual(500);
    await closeClient(members.splice(0, 1)[0] as Client);
    const joined = await next(client, "joined", 30_000);
    expect(joined.resumed).toBe(false);
  });

  it("stops after 1009 (its message was too big), with the server's reason", async () => {
    const { client, events } = roomClient(roomName());
    await next(client, "joined");
    const closed = next(client, "close");
    client.send("x".repeat(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toMatchObject({ code: 1009, reason: "message of 65 bytes exceeds the 64-byte limit" });
    expect(client.readyState).toBe(RoomClient.CLOSED);
    expect(events.map((e) => e.type)).toEqual(["joined", "close"]);
  });

  it("with pingIntervalMs, is kept alive by the room's own pong (no drop, no reconnect)", async () => {
    const { client, events } = roomClient(roomName(), { pingIntervalMs: 150 });
    await next(client, "joined");
    for (let i = 0; i < 3; i++) await next(client, "pong");
    expect(events.map((e) => e.type)).toEqual(["joined"]);
    expect(client.readyState).toBe(RoomClient.OPEN);
  });

  it("stops at the user's close and says so", async () => {
    const { client } = roomClient(roomName());
    await next(client, "joined");
    const closed = next(client, "close");
    client.close(1000, "bye");
    expect(await closed).toMatchObject({ code: 1000, reason: "bye", why: "closed by the user" });
    expect(client.send("late")).toBe(false);
  });
});
