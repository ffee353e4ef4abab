/**
 * Private rooms under `wrangler dev`, the secret given as `--var ROOM_TOKEN_SECRET:…`
 * and tokens minted by `npm run token`, as a newcomer would: joins refused and
 * admitted over real sockets (the token as a subprotocol entry, as `npm run token`
 * shows), `?token=` refused, a publish over HTTP to a room of several objects.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const SECRET = "e2e-secret-of-at-least-thirty-two-bytes";
const ROOT = resolve(import.meta.dirname, "../..");
let server: DevServer;
const clients: Client[] = [];
const minted: string[] = [];
/** What `npm run token` printed beside the token, on stderr. */
let example = "";

beforeAll(async () => {
  server = await startDevServer({ ROOM_AUTH: "token", ROOM_TOKEN_SECRET: SECRET, ROOM_SHARD_CONNECTIONS: "2" });
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  await server?.stop();
});

/** A token from `npm run token`, signed with the same secret as the server's. */
async function mint(...args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)("node", ["scripts/token.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ROOM_TOKEN_SECRET: SECRET },
  });
  example = stderr;
  const token = stdout.trim();
  minted.push(token);
  return token;
}

/** Joins as `npm run token`'s example does: `room-token`, and the token in the entry `room-token.<token>`. */
async function join(room: string, token?: string): Promise<Client> {
  const offer = token === undefined ? undefined : ["room-token", `room-token.${token}`];
  const client = await openClient(`${server.wsUrl}/rooms/${room}`, {}, offer);
  clients.push(client);
  return client;
}

describe("a private room under wrangler dev", () => {
  it("closes a join without a token 4401 at once, and one for another room 4403", async () => {
    const room = `private-${Date.now()}`;
    expect(await (await join(room)).closed).toEqual({ code: 4401, reason: "token missing" });
    const elsewhere = await mint("--sub", "eve", "--room", "elsewhere");
    expect(await (await join(room, elsewhere)).closed).toEqual({ code: 4403, reason: "token not valid for this room" });
  });

  it("admits members with tokens and delivers a backend's POST once to each, on every object", async () => {
    const room = `private-${Date.now()}`;
    const reader = await mint("--sub", "reader", "--room", "private-*");
    const members: Client[] = [];
    for (let i = 0; i < 5; i++) members.push(await join(room, reader));
    const info = await fetch(`${server.httpUrl}/rooms/${room}`, { headers: { Authorization: `Bearer ${reader}` } });
    expect(await info.json()).toMatchObject({ connections: 5, shards: 3 });

    const backend = await mint("--sub", "backend", "--room", room, "--write");
    const text = await fetch(`${server.httpUrl}/rooms/${room}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${backend}`, "Content-Type": "text/plain" },
      body: "deploy finished",
    });
    expect(text.status).toBe(202);
    const bytes = await fetch(`${server.httpUrl}/rooms/${room}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${backend}`, "Content-Type": "application/octet-stream" },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(bytes.status).toBe(202);
    for (const member of members) {
      const [first, second] = await waitForMessages(member, 2);
      expect({ text: first?.data.toString(), binary: first?.binary }).toEqual({
        text: "deploy finished",
        binary: false,
      });
      expect({ bytes: [...(second?.data ?? [])], binary: second?.binary }).toEqual({ bytes: [1, 2, 3], binary: true });
    }
    const denied = await fetch(`${server.httpUrl}/rooms/${room}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${reader}`, "Content-Type": "text/plain" },
      body: "not allowed",
    });
    expect(denied.status).toBe(403);
  });

  it("refuses ?token= with 4401 and says how to send it; npm run token's example shows that way", async () => {
    const token = await mint("--sub", "alice", "--room", "lobby");
    const client = await openClient(`${server.wsUrl}/rooms/lobby?token=${token}`);
    const closed = await client.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain("room-token.<token>");
    expect(closed.reason).toContain("Authorization: Bearer");
    expect(example).toContain('-s room-token -s "room-token.$TOKEN"');
    expect(example).toContain('curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8787/rooms/lobby');
    expect(example).not.toContain("?token=$");
    expect(example).not.toContain(token);
  });

  it("writes no token to its logs", () => {
    expect(minted.length).toBeGreaterThan(0);
    for (const token of minted) expect(server.output()).not.toContain(token);
    expect(server.output()).not.toContain(SECRET);
  });
});
