/**
 * ROOM_MAX_PER_ADDRESS under `wrangler dev`, whose clients all come from 127.0.0.1: the
 * cap over a room of several objects, a second address unaffected, and the count
 * following the sockets when a member vanishes and when the whole server is killed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, waitForClose, waitForMessages } from "./ws-client.ts";

const VARS = { ROOM_SHARD_CONNECTIONS: "2", ROOM_MAX_PER_ADDRESS: "3" };
const REASON = "too many connections from this address in this room (ROOM_MAX_PER_ADDRESS=3)";

let server: DevServer | undefined;
let storage: string | undefined;
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  await server?.stop();
  if (storage !== undefined) await rm(storage, { recursive: true, force: true });
});

/** Joins `room`; `address` stands in for the client's (wrangler dev keeps a `CF-Connecting-IP` the client sent). */
async function join(room: string, address?: string): Promise<Client> {
  const headers: Record<string, string> = address === undefined ? {} : { "CF-Connecting-IP": address };
  const client = await openClient(`${server?.wsUrl}/rooms/${room}`, { headers });
  clients.push(client);
  return client;
}

/** Joins and expects to stay in: a message from it reaches `witness`. */
async function member(room: string, witness: Client, address?: string): Promise<Client> {
  const client = await join(room, address);
  const before = witness.received.length;
  client.ws.send(`hello from ${clients.length}`);
  await waitForMessages(witness, before + 1);
  return client;
}

describe("ROOM_MAX_PER_ADDRESS under wrangler dev", () => {
  it("closes the fourth socket of an address 1008, its sockets on two objects, and follows the sockets through a vanished member and a kill", async () => {
    storage = await mkdtemp(joinPath(tmpdir(), "edge-echo-caps-"));
    server = await startDevServer(VARS, { persistTo: storage });
    const room = `caps-${Date.now()}`;
    const witness = await join(room, "203.0.113.5"); // shard 0, another address
    const mine = [await member(room, witness), await member(room, witness), await member(room, witness)];
    expect(await waitForClose(await join(room))).toEqual({ code: 1008, reason: REASON });
    await member(room, witness, "203.0.113.6"); // a second address is unaffected

    // One of this address's members vanishes without a close: its place comes back.
    mine[2]?.ws.terminate();
    await vi.waitFor(async () => {
      const again = await join(room);
      const closed = await Promise.race([again.closed, new Promise((resolve) => setTimeout(resolve, 200))]);
      if (closed !== undefined) throw new Error(`still refused: ${JSON.stringify(closed)}`);
    }, 15_000);

    const { port } = server;
    await server.kill();
    await Promise.all(clients.map((client) => client.closed));
    server = await startDevServer(VARS, { persistTo: storage, port });
    const after = await join(room, "203.0.113.5");
    for (let i = 0; i < 3; i++) await member(room, after);
    expect(await waitForClose(await join(room))).toEqual({ code: 1008, reason: REASON });
  }, 120_000);
});
