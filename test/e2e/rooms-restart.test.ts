/**
 * A room over several objects when the whole server dies: `wrangler dev` killed
 * (SIGKILL) and started again on the same storage (`--persist-to`). Storage
 * survives, sockets do not; the room's counts must follow the sockets.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const VARS = { ROOM_SHARD_CONNECTIONS: "10", ROOM_MAX_CONNECTIONS: "30" };
const ROOM_CAP = 30;

let server: DevServer | undefined;
let storage: string | undefined;
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  await server?.stop();
  if (storage !== undefined) await rm(storage, { recursive: true, force: true });
});

async function roomInfo(room: string): Promise<{ connections: number; shards: number }> {
  const response = await fetch(`${server?.httpUrl}/rooms/${room}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { connections: number; shards: number };
}

/** Fills `room` to its cap, one member after the other; every one of them must stay in. */
async function fill(room: string): Promise<Client[]> {
  const members: Client[] = [];
  for (let i = 0; i < ROOM_CAP; i++) {
    const client = await openClient(`${server?.wsUrl}/rooms/${room}`);
    clients.push(client);
    members.push(client);
  }
  return members;
}

/** One member's message reaches every other member: each was let in, on whichever object. */
async function everyoneHears(members: Client[], text: string): Promise<void> {
  const [speaker, ...listeners] = members;
  const before = listeners.map((listener) => listener.received.length);
  speaker?.ws.send(text);
  const heard = await Promise.all(listeners.map((listener, i) => waitForMessages(listener, (before[i] ?? 0) + 1)));
  for (const messages of heard) expect(messages.at(-1)?.data.toString()).toBe(text);
}

describe("a room over several objects across a kill of the whole server", () => {
  it("counts nobody after the restart, and admits as many members as before", async () => {
    storage = await mkdtemp(join(tmpdir(), "edge-echo-restart-"));
    server = await startDevServer(VARS, { persistTo: storage });
    const room = `restart-${Date.now()}`;
    const before = await fill(room);
    expect(await roomInfo(room)).toMatchObject({ connections: 30, shards: 3 });
    await everyoneHears(before, "before the kill");

    const { port } = server;
    await server.kill();
    await Promise.all(before.map((client) => client.closed));
    server = await startDevServer(VARS, { persistTo: storage, port });

    expect(await roomInfo(room)).toMatchObject({ connections: 0, shards: 1 });
    const after = await fill(room);
    await everyoneHears(after, "after the restart");
    expect(await roomInfo(room)).toMatchObject({ connections: 30, shards: 3 });
    const refused = await openClient(`${server.wsUrl}/rooms/${room}`);
    clients.push(refused);
    expect(await refused.closed).toEqual({ code: 1013, reason: "room full" });
  }, 180_000);

  it("lets every positioned member resume with nothing missed, filling the room to its limit again", async () => {
    await server?.stop();
    if (storage !== undefined) await rm(storage, { recursive: true, force: true });
    storage = await mkdtemp(join(tmpdir(), "edge-echo-restart-"));
    server = await startDevServer(VARS, { persistTo: storage });
    const room = `resume-${Date.now()}`;
    const first: Client[] = [];
    for (let i = 0; i < ROOM_CAP; i++) first.push(await openClient(`${server.wsUrl}/rooms/${room}?history=0`));
    clients.push(...first);
    const said = ["before 1", "before 2", "before 3"];
    for (const [i, text] of said.entries()) first[i * 10]?.ws.send(text);
    // Each hears the others' messages: its own come back only with echo.
    for (const [i, member] of first.entries()) await waitForMessages(member, i % 10 === 0 && i < 30 ? 3 : 4);
    const positions = first.map((member) => lastPosition(member));
    const seenBefore = first.map((member) => member.received.map((frame) => JSON.parse(frame.data.toString()).data));

    const { port } = server;
    await server.kill();
    await Promise.all(first.map((client) => client.closed));
    server = await startDevServer(VARS, { persistTo: storage, port });

    // A third come back and talk before the rest return.
    const back: Client[] = [];
    for (let i = 0; i < 10; i++) back.push(await openClient(`${server.wsUrl}/rooms/${room}?since=${positions[i]}`));
    clients.push(...back);
    for (const member of back) await waitForMessages(member, 1);
    back[0]?.ws.send("after 1");
    back[1]?.ws.send("after 2");
    for (const [i, member] of back.entries()) await waitForMessages(member, i < 2 ? 2 : 3);
    for (let i = 10; i < ROOM_CAP; i++) {
      const member = await openClient(`${server.wsUrl}/rooms/${room}?since=${positions[i]}`);
      clients.push(member);
      back.push(member);
    }
    for (const [i, member] of back.entries()) {
      if (i < 10) continue;
      const [first] = await waitForMessages(member, 1);
      const count = 1 + Number(JSON.parse(first?.data.toString() ?? "{}").replayed);
      const frames = await waitForMessages(member, count);
      const [joined, ...messages] = frames.map((frame) => JSON.parse(frame.data.toString()));
      const replayed = messages.map((message) => message.data);
      expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: replayed.length });
      // What was said while it was away, once, and nothing it had seen again. A sender without
      // echo never received its own message, so its replay may hold that too.
      expect(replayed.slice(-2)).toEqual(["after 1", "after 2"]);
      for (const text of replayed) expect(seenBefore[i]).not.toContain(text);
      expect(new Set(replayed).size).toBe(replayed.length);
    }
    expect(await roomInfo(room)).toMatchObject({ connections: 30, shards: 3 });
  }, 180_000);
});

/** The position of the last frame a positioned member received. */
function lastPosition(member: Client): string {
  const frame = JSON.parse(member.received.at(-1)?.data.toString() ?? "{}");
  if (typeof frame.position !== "string") throw new Error("no position received");
  return frame.position;
}
