/**
 * The limits a public deploy runs with, over real sockets: `wrangler dev` with
 * wrangler.toml's defaults (IP_LIMITS on, 60 upgrades and 60 publishes per 10 s per
 * address, MAX_MESSAGES_PER_SECOND 100), reached from one address, 127.0.0.1.
 * wrangler dev counts in windows aligned to the clock, so a test that counts to 61
 * first waits for a window with time to spare.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { type Client, closeClient, openClient, waitForClose, waitForMessages } from "./ws-client.ts";

/** wrangler.toml's `[[ratelimits]]` for upgrades and publishes. */
const LIMIT = 60;
const PERIOD_MS = 10_000;
const DEFAULT_MAX_MESSAGES_PER_SECOND = 100;

let server: DevServer;
let storage: string;
const clients: Client[] = [];

beforeAll(async () => {
  // Counters of its own, apart from any other wrangler dev of this checkout.
  storage = await mkdtemp(join(tmpdir(), "edge-echo-limits-"));
  server = await startDevServer({}, { serviceDefaults: true, persistTo: storage });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await rm(storage, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
});

/** Waits for the next window unless this one has `needMs` left. */
async function freshWindow(needMs: number): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/** Waits until the window after the current one has begun. */
async function nextWindow(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, PERIOD_MS - (Date.now() % PERIOD_MS) + 100));
}

type Attempt = { opened: Client } | { status: number; retryAfter: string | undefined; body: string };

/** One upgrade: the open client, or the refusal with its status, Retry-After and body. */
function attempt(url: string): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const received: Client["received"] = [];
    ws.on("message", (data, binary) => received.push({ data: Buffer.from(data as Buffer), binary }));
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.once("close", (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.once("open", () => resolve({ opened: { ws, received, closed } }));
    ws.once("unexpected-response", (request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => {
        request.destroy();
        const retryAfter = response.headers["retry-after"];
        resolve({ status: response.statusCode ?? 0, retryAfter, body });
      });
    });
    ws.once("error", (error) => reject(new Error(`upgrade to ${url} failed: ${error.message}`)));
  });
}

describe("one address over the limits of a public deploy", () => {
  it("opening sockets in a loop gets 429 after the limit, while a member already joined keeps sending and receiving; after the period, joins work again", async () => {
    await freshWindow(9_000);
    const room = `${server.wsUrl}/rooms/limits-${crypto.randomUUID()}`;
    const member = await openClient(room);
    const watcher = await openClient(room);
    clients.push(member, watcher);
    let said = 0;
    /** The member speaks and hears an answer: its connection is untouched by the limit. */
    const exchange = async () => {
      member.ws.send(`from member ${said}`);
      watcher.ws.send(`to member ${said}`);
      said++;
      const [heard] = (await waitForMessages(watcher, said)).slice(-1);
      const [answer] = (await waitForMessages(member, said)).slice(-1);
      expect(heard?.data.toString()).toBe(`from member ${said - 1}`);
      expect(answer?.data.toString()).toBe(`to member ${said - 1}`);
    };

    // The two members spent two of the address's 60 upgrades.
    let opened = 2;
    let refusal: Exclude<Attempt, { opened: Client }> | null = null;
    while (refusal === null && opened < LIMIT + 10) {
      const result = await attempt(room);
      if ("opened" in result) {
        clients.push(result.opened);
        opened++;
      } else refusal = result;
      await exchange();
    }
    expect(opened).toBe(LIMIT);
    expect(refusal).toEqual({
      status: 429,
      retryAfter: "10",
      body: "too many WebSocket upgrades from your address; try again in 10 s (limit UPGRADE_LIMITER)\n",
    });
    // Refused again, on the echo too, and the member still talks.
    for (let i = 0; i < 5; i++) {
      const again = await attempt(`${server.wsUrl}/ws`);
      expect("status" in again && again.status).toBe(429);
      await exchange();
    }
    expect(server.output()).toMatch(
      /"event":"ip_limited","limit":"upgrade","binding":"UPGRADE_LIMITER","prefix":"127\.0\.0\.0\/24"/,
    );

    await nextWindow();
    const back = await attempt(room);
    if (!("opened" in back)) throw new Error(`a join after the period was refused with ${back.status}`);
    clients.push(back.opened);
    member.ws.send("after the period");
    const [arrived] = await waitForMessages(back.opened, 1);
    expect(arrived?.data.toString()).toBe("after the period");
    const [alsoHeard] = (await waitForMessages(watcher, said + 1)).slice(-1);
    expect(alsoHeard?.data.toString()).toBe("after the period");
  }, 60_000);

  it("refuses the 61st POST /rooms/:name within the period with 429, Retry-After and a one-line reason", async () => {
    await freshWindow(6_000);
    const room = `${server.httpUrl}/rooms/posts-${crypto.randomUUID()}`;
    const post = (body: string) => fetch(room, { method: "POST", body, headers: { "Content-Type": "text/plain" } });
    for (let i = 0; i < LIMIT; i++) expect((await post(`m${i}`)).status, `post ${i + 1}`).toBe(202);
    const refused = await post("one too many");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("10");
    expect(await refused.text()).toBe(
      "too many POST /rooms/:name requests from your address; try again in 10 s (limit PUBLISH_LIMITER)\n",
    );
  }, 30_000);
});

describe("MAX_MESSAGES_PER_SECOND by default", () => {
  it("closes a socket that floods with 1008 after 100 messages, each of those echoed", async () => {
    await freshWindow(2_000);
    const flooder = await openClient(`${server.wsUrl}/ws`);
    clients.push(flooder);
    for (let i = 0; i < DEFAULT_MAX_MESSAGES_PER_SECOND * 3; i++) flooder.ws.send(`burst ${i}`);
    expect(await waitForClose(flooder)).toEqual({
      code: 1008,
      reason: `rate limit: over ${DEFAULT_MAX_MESSAGES_PER_SECOND} messages per second`,
    });
    const echoed = flooder.received.slice(0, DEFAULT_MAX_MESSAGES_PER_SECOND).map((echo) => echo.data.toString());
    expect(echoed).toEqual(Array.from({ length: DEFAULT_MAX_MESSAGES_PER_SECOND }, (_, i) => `burst ${i}`));
  });
});
