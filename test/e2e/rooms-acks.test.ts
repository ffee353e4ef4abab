/**
 * Sending that loses nothing, end to end: RoomClients (public/client/room-client.js, on Node's
 * WebSocket) over three objects of a room send every 50 ms while `wrangler dev --persist-to`
 * is killed with SIGKILL and started again on the same storage and port, and while their
 * connections are cut through a TCP proxy. Afterwards every id any `send` returned is acked
 * to its sender and delivered exactly once to every other member, in its sender's order, and
 * no `failed` fired.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RoomClient } from "../../public/client/room-client.js";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { startProxy, type TcpProxy } from "./tcp-proxy.ts";

/** Two members per object: six clients span three. A resend burst after a restart stays far under the rate. */
const VARS = { ROOM_SHARD_CONNECTIONS: "2", MAX_MESSAGES_PER_SECOND: "1000", MAX_MESSAGE_BYTES: "64" };
const CLIENTS = 6;
const SEND_EVERY_MS = 50;
const DRAIN_TIMEOUT_MS = 60_000;

let server: DevServer | undefined;
let proxy: TcpProxy | undefined;
let storage: string | undefined;
const clients: RoomClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  if (storage !== undefined) await rm(storage, { recursive: true, force: true });
});

/** One client of the stream, and what it saw. */
interface Member {
  readonly name: string;
  readonly client: RoomClient;
  /** Ids `send` returned, in order. */
  readonly sent: string[];
  /** Acks by id (an id acked twice would be counted twice). */
  readonly acks: Map<string, number>;
  readonly failed: string[];
  /** What it received: the message id and text, in order. */
  readonly received: { id: string | null; data: string }[];
  joins: number;
}

function member(url: string, name: string): Member {
  const client = new RoomClient(url, { minDelayMs: 100, maxDelayMs: 500, maxQueued: 10_000 });
  clients.push(client);
  const seen: Member = { name, client, sent: [], acks: new Map(), failed: [], received: [], joins: 0 };
  client.on("joined", () => seen.joins++);
  client.on("ack", ({ id }) => seen.acks.set(id, (seen.acks.get(id) ?? 0) + 1));
  client.on("failed", ({ id }) => seen.failed.push(id));
  client.on("message", ({ id, data }) => seen.received.push({ id, data: String(data) }));
  return seen;
}

/** Every member sends `name n` every 50 ms until the returned function is called. */
function stream(members: Member[]): () => void {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    for (const one of members) {
      const id = one.client.send(`${one.name} ${n}`);
      if (id === false) throw new Error(`${one.name}: send refused message ${n}`);
      one.sent.push(id);
    }
  }, SEND_EVERY_MS);
  return () => clearInterval(timer);
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until all is acked and delivered, then checks exactly-once, in order, nothing failed. */
async function drainedExactlyOnce(members: Member[]): Promise<void> {
  await until(() => members.every((one) => one.client.pending === 0), DRAIN_TIMEOUT_MS, "every send to be acked");
  const total = members.reduce((sum, one) => sum + one.sent.length, 0);
  const everyoneHasAll = () => members.every((one) => one.received.length >= total - one.sent.length);
  await until(everyoneHasAll, DRAIN_TIMEOUT_MS, "every member to receive every other's messages");
  await sleep(500); // a duplicate would arrive by now
  for (const one of members) {
    expect(one.failed, `${one.name}: failed`).toEqual([]);
    for (const id of one.sent) expect(one.acks.get(id), `${one.name}: acks of ${id}`).toBe(1);
    for (const other of members) {
      if (other === one) continue;
      const got = one.received.filter(({ data }) => data.startsWith(`${other.name} `));
      // Exactly once, in the sender's order: the same list of ids as it sent.
      expect(
        got.map(({ id }) => id),
        `${one.name} from ${other.name}`,
      ).toEqual(other.sent);
    }
  }
}

describe("RoomClients sending every 50 ms over three objects", () => {
  it("lose nothing and double nothing across a SIGKILL of the server and a restart on the same storage", async () => {
    storage = await mkdtemp(join(tmpdir(), "edge-echo-acks-"));
    server = await startDevServer(VARS, { persistTo: storage });
    const url = `${server.wsUrl}/rooms/acks-kill-${Date.now()}`;
    const members = Array.from({ length: CLIENTS }, (_, i) => member(url, `c${i}`));
    await until(() => members.every((one) => one.joins === 1), 30_000, "every client to join");
    const stop = stream(members);
    await sleep(1500);

    const { port } = server;
    await server.kill();
    await sleep(300); // sends go on into the void: queued, unacked
    server = await startDevServer(VARS, { persistTo: storage, port });
    await until(() => members.every((one) => one.joins >= 2), 30_000, "every client to resume");
    await sleep(1500);
    stop();
    await drainedExactlyOnce(members);
    expect(members.reduce((sum, one) => sum + one.sent.length, 0)).toBeGreaterThan(CLIENTS * 40);
  }, 180_000);

  it("lose nothing and double nothing when their connections are cut, twice, mid-stream", async () => {
    await server?.stop();
    server = await startDevServer(VARS);
    proxy = await startProxy(server.port);
    const url = `${proxy.wsUrl}/rooms/acks-cut-${Date.now()}`;
    const members = Array.from({ length: CLIENTS }, (_, i) => member(url, `c${i}`));
    await until(() => members.every((one) => one.joins === 1), 30_000, "every client to join");
    const stop = stream(members);
    for (const round of [2, 3]) {
      await sleep(1000);
      proxy.dropAll();
      await until(() => members.every((one) => one.joins >= round), 30_000, "every client to resume");
    }
    await sleep(1000);
    stop();
    await drainedExactlyOnce(members);
  }, 180_000);
});

describe("a RoomClient's acks", () => {
  it("tell its sender ack {id, position} and pending as they go, and failed {id, reason} for what was unacked at a stop", async () => {
    server ??= await startDevServer(VARS);
    const url = `${server.wsUrl}/rooms/acks-events-${Date.now()}`;
    const sender = member(url, "s");
    const pending: number[] = [];
    sender.client.on("pending", ({ count }) => pending.push(count));
    const reasons: string[] = [];
    sender.client.on("failed", ({ reason }) => reasons.push(reason));
    const ack = new Promise<{ id: string; position: string }>((resolve) =>
      sender.client.on("ack", ({ id, position }) => resolve({ id, position })),
    );
    const id = sender.client.send("hello");
    expect(id).toMatch(/^[0-9a-f]{16}-1$/);
    expect(sender.client.pending).toBe(1);
    expect(await ack).toEqual({ id, position: expect.any(String) });
    expect(pending).toEqual([1, 0]);
    // Refused for its size (1009): never acked, the client stops, and says so for both unacked.
    const closed = new Promise((resolve) => sender.client.on("close", resolve));
    const big = sender.client.send("x".repeat(65));
    const after = sender.client.send("after");
    await closed;
    expect(sender.failed).toEqual([big, after]);
    expect(reasons).toEqual(["the server's answer would be the same", "the server's answer would be the same"]);
    expect(sender.client.pending).toBe(0);
    expect(sender.client.send("late")).toBe(false);
  });
});
