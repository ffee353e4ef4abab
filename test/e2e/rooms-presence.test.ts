/**
 * Presence under `wrangler dev`: 30 users over 3 objects (ROOM_SHARD_CONNECTIONS=10)
 * each see everyone, never their own join; a member whose TCP connection is cut
 * (through a proxy, no close frame) leaves everyone's view within 30 s; after a
 * SIGKILL and a restart on the same storage presence starts empty and refills as
 * members return. RoomClient with `{ presence: true }` keeps the map, and fires one
 * join event per user for joins that came in one `presence_batch` frame.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { RoomClient } from "../../public/client/room-client.js";
import { type DevServer, startDevServer, UNCAPPED_ROOMS } from "./dev-server.ts";
import { startProxy, type TcpProxy } from "./tcp-proxy.ts";
import { type Client, closeClient, openClient } from "./ws-client.ts";

const VARS = { ...UNCAPPED_ROOMS, ROOM_SHARD_CONNECTIONS: "10" };
const USERS = 30;

interface Frame {
  type: string;
  users?: number;
  members?: { id: string; info: unknown; connections: number }[];
  member?: { id: string };
  events?: Frame[];
}

let server: DevServer | undefined;
let proxy: TcpProxy | undefined;
let storage: string | undefined;
const clients: Client[] = [];
const roomClients: RoomClient[] = [];

afterAll(async () => {
  for (const client of roomClients) client.close();
  await Promise.all(clients.splice(0).map(closeClient));
  await proxy?.close();
  await server?.stop();
  if (storage !== undefined) await rm(storage, { recursive: true, force: true });
});

/** The JSON frames a client received. */
function frames(client: Client): Frame[] {
  return client.received.filter((entry) => !entry.binary).map((entry) => JSON.parse(entry.data.toString()) as Frame);
}

/** Who a watcher sees now: its snapshot, then the joins and leaves after it. */
function seen(client: Client): string[] {
  const present = new Set<string>();
  for (const frame of frames(client)) {
    if (frame.type === "presence") {
      present.clear();
      for (const entry of frame.members ?? []) present.add(entry.id);
    } else if (frame.type === "join" && frame.member) present.add(frame.member.id);
    else if (frame.type === "leave" && frame.member) present.delete(frame.member.id);
  }
  return [...present].sort();
}

async function watch(base: string, room: string, id: string): Promise<Client> {
  const client = await openClient(`${base}/rooms/${room}?history=0&presence=1&client=${id}`);
  clients.push(client);
  await vi.waitFor(() => expect(frames(client).some((frame) => frame.type === "presence")).toBe(true), 10_000);
  return client;
}

async function listed(room: string): Promise<{ connections: number; users: number; members: { id: string }[] }> {
  const response = await fetch(`${server?.httpUrl}/rooms/${room}/presence`);
  expect(response.status).toBe(200);
  return (await response.json()) as { connections: number; users: number; members: { id: string }[] };
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => `u${String(i).padStart(2, "0")}`).sort();

describe("presence under wrangler dev", () => {
  it("30 users over 3 objects, a cut connection's leave within 30 s, and a SIGKILL restart that starts empty and refills", async () => {
    storage = await mkdtemp(joinPath(tmpdir(), "edge-echo-presence-"));
    server = await startDevServer(VARS, { persistTo: storage });
    proxy = await startProxy(server.port);
    const room = `presence-${Date.now()}`;
    const members: Client[] = [];
    for (let i = 0; i < USERS; i++) {
      const id = ids(USERS)[i] ?? "";
      // u07 joins through the proxy, whose cut is its TCP connection vanishing.
      members.push(await watch(i === 7 ? proxy.wsUrl : server.wsUrl, room, id));
    }
    const all = ids(USERS);
    for (const [i, client] of members.entries()) {
      await vi.waitFor(() => expect(seen(client)).toEqual(all), 10_000);
      const joins = frames(client).filter((frame) => frame.type === "join");
      expect(joins.map((frame) => frame.member?.id)).not.toContain(all[i]);
    }
    expect(await listed(room)).toMatchObject({ connections: USERS, users: USERS });
    const info = (await (await fetch(`${server.httpUrl}/rooms/${room}`)).json()) as { shards: number };
    expect(info.shards).toBe(3);

    const cutAt = Date.now();
    proxy.dropAll();
    const others = members.filter((_, i) => i !== 7);
    for (const client of others)
      await vi.waitFor(() => expect(seen(client)).not.toContain("u07"), { timeout: 30_000, interval: 100 });
    console.log(`presence: a cut connection left every view in ${Date.now() - cutAt} ms`);

    const { port } = server;
    await server.kill();
    await Promise.all(clients.map((client) => client.closed));
    server = await startDevServer(VARS, { persistTo: storage, port });
    expect(await listed(room)).toEqual({ connections: 0, users: 0, members: [], truncated: false });
    const back = [await watch(server.wsUrl, room, "u00"), await watch(server.wsUrl, room, "u01")];
    expect((await listed(room)).members.map((entry) => entry.id).sort()).toEqual(["u00", "u01"]);
    await vi.waitFor(() => expect(seen(back[0] as Client)).toEqual(["u00", "u01"]), 10_000);
    expect(seen(back[1] as Client)).toEqual(["u00", "u01"]);
  }, 240_000);

  it("RoomClient with { presence: true } keeps who is here, fires presence, join and leave, and after a resume replaces its map", async () => {
    server ??= await startDevServer(VARS);
    proxy ??= await startProxy(server.port);
    const room = `presence-client-${Date.now()}`;
    const events: string[] = [];
    const client = new RoomClient(`${proxy.wsUrl}/rooms/${room}?client=ann`, { presence: true, minDelayMs: 1_000 });
    roomClients.push(client);
    client.on("presence", (event) => events.push(`presence ${event.users}`));
    client.on("join", (event) => events.push(`join ${event.id}`));
    client.on("leave", (event) => events.push(`leave ${event.id}`));
    await vi.waitFor(() => expect(events).toEqual(["presence 1"]), 10_000);
    const ben = await openClient(`${server.wsUrl}/rooms/${room}?client=ben`);
    clients.push(ben);
    await vi.waitFor(() => expect(client.presence.get("ben")).toEqual({ info: null, connections: 1 }), 10_000);
    await closeClient(ben);
    await vi.waitFor(() => expect(events).toEqual(["presence 1", "join ben", "leave ben"]), 10_000);
    expect([...client.presence.keys()]).toEqual(["ann"]);

    // Dropped: carl arrives meanwhile; the resumed join's snapshot brings the map up to date.
    proxy.dropAll();
    const carl = await openClient(`${server.wsUrl}/rooms/${room}?client=carl`);
    clients.push(carl);
    await vi.waitFor(() => expect(events.at(-1)).toBe("presence 2"), 15_000);
    expect([...client.presence.keys()].sort()).toEqual(["ann", "carl"]);
  }, 120_000);

  it("RoomClient follows a burst of 30 joins over 3 objects with one join event each, in the order presence=1 gets them", async () => {
    server ??= await startDevServer(VARS);
    const room = `presence-burst-${Date.now()}`;
    const single = await watch(server.wsUrl, room, "watcher"); // presence=1: one frame per join
    const batched = await openClient(`${server.wsUrl}/rooms/${room}?history=0&presence=batch&client=raw`);
    clients.push(batched);
    const joins: string[] = [];
    const client = new RoomClient(`${server.wsUrl}/rooms/${room}?client=ann`, { presence: true });
    roomClients.push(client);
    client.on("join", (event) => joins.push(event.id));
    await vi.waitFor(() => expect(client.presence.size).toBe(3), 10_000);
    const burst = await Promise.all(ids(USERS).map((id) => openClient(`${server?.wsUrl}/rooms/${room}?client=${id}`)));
    clients.push(...burst);

    const order = () =>
      frames(single)
        .filter((frame) => frame.type === "join")
        .map((frame) => frame.member?.id)
        .filter((id) => id !== "ann" && id !== "raw");
    await vi.waitFor(() => expect([joins.length, order().length]).toEqual([USERS, USERS]), 15_000);
    expect(joins).toEqual(order());
    // The same object's raw presence=batch watcher shows what the client read: joins together.
    const heard = () =>
      frames(batched).flatMap((frame) => (frame.type === "presence_batch" ? (frame.events ?? []) : [frame]));
    await vi.waitFor(() => expect(heard().filter((frame) => frame.type === "join")).toHaveLength(USERS + 1), 15_000);
    expect(frames(batched).filter((frame) => frame.type === "presence_batch").length).toBeGreaterThan(0);
    expect([...client.presence.keys()].sort()).toEqual(["ann", ...ids(USERS), "raw", "watcher"].sort());
  }, 60_000);
});
