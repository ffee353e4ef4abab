/**
 * The rooms client module (public/client/room-client.js) in Node against `wrangler dev`:
 * it joins positioned, unwraps envelopes, and after a real drop (its TCP connection cut
 * by a proxy) comes back and resumes with every message once; it stops, saying why,
 * after a close that does not invite a retry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoomClient } from "../../public/client/room-client.js";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { startProxy, type TcpProxy } from "./tcp-proxy.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

let server: DevServer;
let proxy: TcpProxy;
const others: Client[] = [];

beforeAll(async () => {
  server = await startDevServer({ ROOM_SHARD_CONNECTIONS: "2", MAX_MESSAGE_BYTES: "64" });
  proxy = await startProxy(server.port);
});

afterAll(async () => {
  await Promise.all(others.splice(0).map(closeClient));
  await proxy?.close();
  await server?.stop();
});

/** Everything a RoomClient reports, in order. */
function watch(client: RoomClient) {
  const messages: string[] = [];
  const joins: { recovered: boolean; replayed: number; resumed: boolean }[] = [];
  const closes: { code: number; reason: string }[] = [];
  let reconnects = 0;
  client.addEventListener("message", (event) => {
    if (event instanceof MessageEvent) messages.push(String(event.data));
  });
  client.addEventListener("joined", (event) => {
    if (event instanceof CustomEvent) joins.push(event.detail);
  });
  client.addEventListener("reconnecting", () => reconnects++);
  client.addEventListener("close", (event) => {
    if ("code" in event && "reason" in event) closes.push({ code: Number(event.code), reason: String(event.reason) });
  });
  return { messages, joins, closes, reconnects: () => reconnects };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("RoomClient", () => {
  it("resumes after its connection drops, with every message once and in order", async () => {
    const room = `client-${Date.now()}`;
    const sender = await openClient(`${server.wsUrl}/rooms/${room}`);
    const witness = await openClient(`${server.wsUrl}/rooms/${room}`);
    others.push(sender, witness);
    const client = new RoomClient(`${proxy.wsUrl}/rooms/${room}`, { minDelayMs: 200 });
    const seen = watch(client);
    await until(() => seen.joins.length === 1, "the first join");
    const send = async (from: number, to: number) => {
      const before = witness.received.length;
      for (let i = from; i < to; i++) sender.ws.send(`m${i}`);
      await waitForMessages(witness, before + (to - from));
    };
    await send(0, 5);
    await until(() => seen.messages.length === 5, "five messages");

    proxy.dropAll();
    await send(5, 10);
    await until(() => seen.joins.length === 2, "the join after the drop");
    await send(10, 12);
    await until(() => seen.messages.length === 12, "every message");
    expect(seen.messages).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    expect(seen.joins[1]).toMatchObject({ recovered: true, resumed: true });
    expect(seen.reconnects()).toBeGreaterThanOrEqual(1);
    client.close();
  });

  it("stops after a close that would only be answered the same way, and says why", async () => {
    const client = new RoomClient(`${server.wsUrl}/rooms/client-stop-${Date.now()}`);
    const seen = watch(client);
    await until(() => seen.joins.length === 1, "the join");
    client.send("x".repeat(65));
    await until(() => seen.closes.length === 1, "the close");
    expect(seen.closes[0]).toEqual({ code: 1009, reason: "message of 65 bytes exceeds the 64-byte limit" });
    expect(seen.reconnects()).toBe(0);
    expect(client.readyState).toBe(RoomClient.CLOSED);
  });
});
