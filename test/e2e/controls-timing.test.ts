/**
 * Test controls that act over time, measured on real sockets under `wrangler dev`:
 * `delay` and `jitter` (each echo no earlier than asked, order kept), pushes (in
 * order, no gap), and `hello` (the query reaches the Worker through the dev proxy).
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const wsUrl = inject("wsUrl");
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
});

/** Opens a `ws` client on `/ws?query` that also notes when each message arrived (`performance.now()`). */
async function open(query: string) {
  const client = await openClient(`${wsUrl}/ws?${query}`);
  clients.push(client);
  const arrivals: number[] = [];
  client.ws.on("message", () => arrivals.push(performance.now()));
  return { client, arrivals };
}

/** How long each message waited for its echo, in ms; one per message, or the check fails. */
function waits(sentAt: number[], arrivals: number[]): number[] {
  expect(arrivals).toHaveLength(sentAt.length);
  return arrivals.map((at, i) => at - (sentAt[i] ?? Number.NaN));
}

describe("delay", () => {
  it("sends each echo no earlier than the delay after its message was sent, in order", async () => {
    const delay = 200;
    const { client, arrivals } = await open(`delay=${delay}`);
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      sentAt.push(performance.now());
      client.ws.send(`m${i}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const echoes = await waitForMessages(client, 5);
    expect(echoes.map((e) => e.data.toString())).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(Math.min(...waits(sentAt, arrivals))).toBeGreaterThanOrEqual(delay);
  });
});

describe("jitter", () => {
  it("keeps the order, each echo still no earlier than the delay", async () => {
    const delay = 50;
    const { client, arrivals } = await open(`delay=${delay}&jitter=100`);
    const sentAt: number[] = [];
    const sent = Array.from({ length: 40 }, (_, i) => `j${i}`);
    for (const message of sent) {
      sentAt.push(performance.now());
      client.ws.send(message);
    }
    const echoes = await waitForMessages(client, sent.length);
    expect(echoes.map((e) => e.data.toString())).toEqual(sent);
    expect(Math.min(...waits(sentAt, arrivals))).toBeGreaterThanOrEqual(delay);
  });
});

describe("push", () => {
  it("sends N text pushes numbered 1 to N with no gap and no reordering", async () => {
    const { client } = await open("push=30&interval=10");
    const pushes = (await waitForMessages(client, 30)).map((m) => {
      expect(m.binary).toBe(false);
      return JSON.parse(m.data.toString()) as unknown;
    });
    expect(pushes).toEqual(
      pushes.map((_, i) => expect.objectContaining({ push: i + 1, of: 30, at: expect.any(Number) })),
    );
  });

  it("sends binary pushes of push_size bytes, SEQ and server time big-endian, in order", async () => {
    const { client } = await open("push=20&interval=10&push_type=binary&push_size=1024");
    const pushes = await waitForMessages(client, 20);
    let lastAt = 0n;
    pushes.forEach((push, i) => {
      expect(push.binary).toBe(true);
      expect(push.data.length).toBe(1024);
      expect(push.data.readBigUInt64BE(0)).toBe(BigInt(i + 1));
      const at = push.data.readBigUInt64BE(8);
      expect(at).toBeGreaterThanOrEqual(lastAt);
      lastAt = at;
    });
  });

  it("keeps echoing between pushes", async () => {
    const { client } = await open("push=3&interval=100");
    client.ws.send("echo between pushes");
    const messages = (await waitForMessages(client, 4)).map((m) => m.data.toString());
    expect(messages).toContain("echo between pushes");
    expect(
      messages.filter((m) => m.startsWith('{"push"')).map((m) => (JSON.parse(m) as { push: unknown }).push),
    ).toEqual([1, 2, 3]);
  });
});

describe("hello", () => {
  it("arrives first and shows the query as the Worker saw it, unknown parameters listed", async () => {
    const { client } = await open("hello=1&delay=10&EIO=4");
    client.ws.send("after hello");
    const [hello, echo] = await waitForMessages(client, 2);
    expect(JSON.parse(hello?.data.toString() ?? "")).toMatchObject({
      hello: true,
      url: expect.stringMatching(/\/ws\?hello=1&delay=10&EIO=4$/),
      protocol: null,
      controls: { delay: 10, hello: 1 },
      ignored: ["EIO"],
    });
    expect(echo?.data.toString()).toBe("after hello");
  });
});
