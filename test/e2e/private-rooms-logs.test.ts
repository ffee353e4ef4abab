/**
 * Room tokens stay out of what `wrangler dev` records: its local observability store
 * (`<persist dir>/v3/observability/…/*.sqlite`, the spans and invocation logs the platform
 * keeps, each request's full URL among them) and its console. Every way a token is
 * accepted by default is used: joins with a subprotocol entry and with `Authorization`,
 * GET, history and POST with `Authorization`; refused tokens sent those ways too.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const SECRET = "logs-secret-of-at-least-thirty-two-bytes";
/** A URL token the server refuses (`ROOM_TOKEN_QUERY` is off): it shows that the store records URLs, so the search can find. */
const CANARY = `canary${Date.now()}`;
let server: DevServer;
let persistTo: string;

beforeAll(async () => {
  persistTo = await mkdtemp(join(tmpdir(), "edge-echo-logs-"));
  server = await startDevServer({ ROOM_AUTH: "token", ROOM_TOKEN_SECRET: SECRET }, { persistTo });
});

afterAll(async () => {
  await server?.stop();
  if (persistTo !== undefined) await rm(persistTo, { recursive: true, force: true });
});

function mint(rooms: string[], write: boolean, expiresIn: string | number = "10m"): Promise<string> {
  return new SignJWT({ rooms, write })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("logs")
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));
}

/** Every file of the local observability store, read whole (database, WAL and shared memory). */
async function storeFiles(): Promise<string[]> {
  const root = join(persistTo, "v3", "observability");
  const names = await readdir(root, { recursive: true });
  const files: string[] = [];
  for (const name of names) {
    const bytes = await readFile(join(root, name)).catch(() => null);
    if (bytes !== null) files.push(bytes.toString("latin1"));
  }
  return files;
}

/** Every row of every table of the store's databases, as text (blobs decoded as latin1, so any string shows). */
async function storeRows(): Promise<string[]> {
  const root = join(persistTo, "v3", "observability");
  const rows: string[] = [];
  for (const name of await readdir(root, { recursive: true })) {
    if (!name.endsWith(".sqlite")) continue;
    const db = new DatabaseSync(join(root, name));
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      for (const { name: table } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${String(table)}"`).all()) {
          const cells = Object.values(row).map((cell) =>
            cell instanceof Uint8Array ? Buffer.from(cell).toString("latin1") : String(cell),
          );
          rows.push(cells.join(" "));
        }
      }
    } finally {
      db.close();
    }
  }
  return rows;
}

/** The secrets of `token`: itself, and its signature alone (enough to forge nothing, but never to be written). */
function secretsOf(token: string): string[] {
  return [token, token.split(".")[2] ?? token];
}

describe("tokens and the logs of wrangler dev", () => {
  const tokens: string[] = [];

  it("are accepted in every default way, and the store records those requests", async () => {
    const room = `logs-${Date.now()}`;
    const writer = await mint([room], true);
    const reader = await mint([room], false);
    const elsewhere = await mint(["elsewhere"], true);
    const expired = await mint([room], false, Math.floor(Date.now() / 1000) - 60);
    tokens.push(writer, reader, elsewhere, expired);

    const clients: Client[] = [];
    const byProtocol = await openClient(`${server.wsUrl}/rooms/${room}`, {}, ["room-token", `room-token.${writer}`]);
    expect(byProtocol.ws.protocol).toBe("room-token");
    const byHeader = await openClient(`${server.wsUrl}/rooms/${room}`, {
      headers: { Authorization: `Bearer ${reader}` },
    });
    clients.push(byProtocol, byHeader);
    const heard = waitForMessages(byHeader, 2);
    byProtocol.ws.send("hello");

    const bearer = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });
    const posted = await fetch(`${server.httpUrl}/rooms/${room}`, {
      method: "POST",
      headers: { ...bearer(writer), "Content-Type": "text/plain" },
      body: "published",
    });
    expect(posted.status).toBe(202);
    expect((await heard).map((m) => m.data.toString())).toEqual(["hello", "published"]);
    expect((await fetch(`${server.httpUrl}/rooms/${room}`, { headers: bearer(reader) })).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/rooms/${room}/history`, { headers: bearer(reader) })).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/rooms/${room}`, { headers: bearer(expired) })).status).toBe(401);

    const wrongRoom = await openClient(`${server.wsUrl}/rooms/${room}`, {}, ["room-token", `room-token.${elsewhere}`]);
    expect(await wrongRoom.closed).toEqual({ code: 4403, reason: "token not valid for this room" });
    const late = await openClient(`${server.wsUrl}/rooms/${room}`, { headers: { Authorization: `Bearer ${expired}` } });
    expect((await late.closed).code).toBe(4401);
    await Promise.all(clients.map(closeClient));

    // Last, and refused: the store keeps URLs whole under wrangler dev, so this one shows the search finds them.
    const canary = await openClient(`${server.wsUrl}/rooms/${room}?token=${CANARY}`);
    expect((await canary.closed).code).toBe(4401);
    const deadline = Date.now() + 15_000;
    while (!(await storeFiles()).some((file) => file.includes(CANARY)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    const files = await storeFiles();
    expect(files.some((file) => file.includes(CANARY))).toBe(true);
    // Every request above is there (the joins, the GETs, history and the POST), by path.
    expect(files.some((file) => file.includes(`/rooms/${room}/history`))).toBe(true);
  });

  it("never appear in the observability store, by database rows or by its files' bytes", async () => {
    expect(tokens.length).toBe(4);
    const files = await storeFiles();
    await server.stop();
    const rows = await storeRows();
    expect(rows.some((row) => row.includes(CANARY))).toBe(true);
    for (const token of tokens) {
      for (const secret of secretsOf(token)) {
        expect(files.some((file) => file.includes(secret))).toBe(false);
        expect(rows.some((row) => row.includes(secret))).toBe(false);
      }
    }
  });

  it("never appear in its console output", () => {
    for (const token of tokens) for (const secret of secretsOf(token)) expect(server.output()).not.toContain(secret);
    expect(server.output()).not.toContain(SECRET);
  });
});
