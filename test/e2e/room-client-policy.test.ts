/**
 * The client module's reconnect policy against a local `ws` server that speaks the rooms'
 * wire contract only as far as each test needs (and breaks it where a test says): a join
 * that never answers times out, a server that admits and closes at once is met with a
 * growing backoff, a membership that lasted resets it, frames off the contract are reported
 * and skipped, and `maxRetries` gives up.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import {
  type ReconnectingEvent,
  RoomClient,
  type RoomClientEventMap,
  type RoomClientOptions,
} from "../../public/client/room-client.js";
import { DEFAULT_TIMEOUT_MS, withTimeout } from "./raw-socket.ts";

let server: WebSocketServer | undefined;
const clients: RoomClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  if (server) {
    for (const socket of server.clients) socket.terminate();
    server.close();
    server = undefined;
  }
});

/** A server calling `onJoin` for each socket with the join's query; returns its room URL. */
async function fakeRoom(onJoin: (socket: WebSocket, query: URLSearchParams) => void): Promise<string> {
  server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  server.on("connection", (socket, request) => onJoin(socket, new URL(request.url ?? "/", "http://x").searchParams));
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the fake room has no port");
  return `ws://127.0.0.1:${address.port}/rooms/fake`;
}

function joinedFrame(position: string, replayed = 0): string {
  return JSON.stringify({ type: "joined", position, recovered: true, replayed });
}

function start(url: string, options: RoomClientOptions) {
  const client = new RoomClient(url, options);
  clients.push(client);
  return client;
}

/** The first `count` events of `type`, or a timeout naming how many came. */
function collect<K extends keyof RoomClientEventMap>(client: RoomClient, type: K, count: number) {
  const found: RoomClientEventMap[K][] = [];
  return withTimeout(
    new Promise<RoomClientEventMap[K][]>((resolve) => {
      const off = client.on(type, (event) => {
        found.push(event);
        if (found.length < count) return;
        off();
        resolve(found);
      });
    }),
    DEFAULT_TIMEOUT_MS,
    `fewer than ${count} "${type}" events (${found.length})`,
  );
}

describe("the room client's reconnect policy", () => {
  it("gives up on a join with no joined frame after connectTimeoutMs, and tries again", async () => {
    const url = await fakeRoom(() => {});
    const client = start(url, { connectTimeoutMs: 300, minDelayMs: 100 });
    const started = Date.now();
    const [first] = await collect(client, "reconnecting", 1);
    expect(first).toMatchObject({ code: 1006, reason: "no joined frame within connectTimeoutMs", attempt: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("backs off further each time a server admits and closes at once, up to the cap", async () => {
    const url = await fakeRoom((socket) => {
      socket.send(joinedFrame("p0"));
      socket.close(1012, "restarting");
    });
    const client = start(url, { minDelayMs: 40, maxDelayMs: 200, growth: 2, minUptimeMs: 10_000 });
    const events: ReconnectingEvent[] = await collect(client, "reconnecting", 5);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
    // Ceilings 40, 80, 160, then the cap of 200; each delay between half and all of its ceiling.
    const ceilings = [40, 80, 160, 200, 200];
    events.forEach((event, i) => {
      expect(event.delay).toBeGreaterThanOrEqual((ceilings[i] ?? 0) / 2);
      expect(event.delay).toBeLessThanOrEqual(ceilings[i] ?? 0);
    });
  });

  it("starts the backoff afresh after a membership that lasted minUptimeMs, resuming with since", async () => {
    const queries: string[] = [];
    const url = await fakeRoom((socket, query) => {
      queries.push(query.toString());
      socket.send(joinedFrame(`p${queries.length}`));
      setTimeout(() => socket.close(1001, "going away"), 150);
    });
    const client = start(url, { minDelayMs: 20, minUptimeMs: 100, history: 5 });
    const events = await collect(client, "reconnecting", 3);
    expect(events.map((e) => e.attempt)).toEqual([1, 1, 1]);
    const joins = queries.slice(0, 3).map((query) => new URLSearchParams(query));
    expect(joins.map((join) => join.get("history") ?? `since=${join.get("since")}`)).toEqual([
      "5",
      "since=p1",
      "since=p2",
    ]);
    // Acks on every join, under one client identity kept across reconnects.
    expect(joins.map((join) => join.get("acks"))).toEqual(["1", "1", "1"]);
    expect(new Set(joins.map((join) => join.get("client"))).size).toBe(1);
    expect(joins[0]?.get("client")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("reports frames off the contract and goes on with the next", async () => {
    const url = await fakeRoom((socket) => {
      socket.send(joinedFrame("p0"));
      socket.send("not json");
      socket.send(new Uint8Array([0, 0, 0, 9, 1]));
      socket.send(JSON.stringify({ type: "message", position: "p1", data: "kept", sender: "s", time: 1 }));
    });
    const client = start(url, {});
    const errors = collect(client, "error", 2);
    const [message] = await collect(client, "message", 1);
    expect((await errors).map((e) => e.message)).toEqual([
      "a text frame that is not a message envelope",
      "a binary envelope's header runs past the frame",
    ]);
    expect(message).toMatchObject({ data: "kept", position: "p1", sender: "s", time: 1, via: null });
    expect(client.position).toBe("p1");
  });

  it("pings while joined, and takes a connection that answers nothing as dropped", async () => {
    let pings = 0;
    let answer = true;
    const url = await fakeRoom((socket) => {
      socket.send(joinedFrame("p0"));
      socket.on("message", (data) => {
        if (String(data) !== "ping") return;
        pings++;
        if (answer) socket.send("pong");
      });
    });
    const client = start(url, { pingIntervalMs: 100, minDelayMs: 10_000 });
    const pongs = await collect(client, "pong", 3);
    expect(pongs).toHaveLength(3);
    answer = false;
    const [dropped] = await collect(client, "reconnecting", 1);
    expect(dropped).toMatchObject({ code: 1006, reason: "nothing heard within pingIntervalMs of a ping" });
    expect(pings).toBe(4);
  });

  it("stops after maxRetries attempts in a row, with the last close", async () => {
    const url = await fakeRoom((socket) => socket.close(1011, "broken"));
    const client = start(url, { minDelayMs: 10, maxRetries: 2 });
    const [closed] = await collect(client, "close", 1);
    expect(closed).toMatchObject({ code: 1011, reason: "broken", why: "gave up after maxRetries attempts" });
  });
});
