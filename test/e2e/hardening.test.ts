/**
 * The service's own limits, each set through `[vars]` on one extra `wrangler dev`
 * (the limits are independent of each other), and the isolation of one client's
 * abrupt disconnect from everyone else on the shared server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { binaryOfBytes, MiB, textOfBytes } from "./payloads.ts";
import { encodeFrame, OP_BINARY, OP_TEXT } from "./raw-frames.ts";
import type { RawWebSocket } from "./raw-socket.ts";
import { openRaw, rawUpgrade, type UpgradeResponse } from "./raw-upgrade.ts";
import { type Client, closeClient, openClient, waitForClose, waitForMessages } from "./ws-client.ts";

const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_MESSAGE_TOO_BIG = 1009;
const ALLOWED = ["https://allowed.example", "http://localhost:5173"];
const MAX_MESSAGE_BYTES = 1024;
const MAX_MESSAGES_PER_SECOND = 50;

let limited: DevServer;
const clients: Client[] = [];
const rawSockets: RawWebSocket[] = [];
const upgrades: UpgradeResponse[] = [];

beforeAll(async () => {
  limited = await startDevServer({
    ALLOWED_ORIGINS: ALLOWED.join(","),
    SUBPROTOCOLS: "echo.v2,echo.v1",
    MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    MAX_MESSAGES_PER_SECOND: String(MAX_MESSAGES_PER_SECOND),
  });
});

afterAll(() => limited?.stop());

afterEach(async () => {
  for (const response of upgrades.splice(0)) response.socket?.destroy();
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(clients.splice(0).map(closeClient));
});

async function upgrade(headers: Record<string, string>): Promise<UpgradeResponse> {
  const response = await rawUpgrade(limited.wsUrl, { headers });
  upgrades.push(response);
  return response;
}

async function connect(url = `${limited.wsUrl}/ws`, protocols?: string[]): Promise<Client> {
  const client = await openClient(url, {}, protocols);
  clients.push(client);
  return client;
}

describe("ALLOWED_ORIGINS", () => {
  it.each(ALLOWED)("accepts an upgrade from the listed origin %s with 101", async (origin) => {
    expect((await upgrade({ Origin: origin })).status).toBe(101);
  });

  it.each(["https://evil.example", "https://allowed.example.evil.example", "https://allowed.example:443", "null"])(
    "refuses an upgrade from %s with 403 and the reason",
    async (origin) => {
      const response = await upgrade({ Origin: origin });
      expect([response.status, response.body]).toEqual([403, `origin ${origin} is not allowed to connect\n`]);
    },
  );

  it("accepts an upgrade with no Origin (not a browser) with 101", async () => {
    expect((await upgrade({})).status).toBe(101);
  });
});

describe("SUBPROTOCOLS", () => {
  it.each([
    ["echo.v1, echo.v2", "echo.v1"],
    ["echo.v2, echo.v1", "echo.v2"],
    ["chat, echo.v2", "echo.v2"],
  ])("answers the offer %j with the first configured one the client listed, %s", async (offer, chosen) => {
    const response = await upgrade({ "Sec-WebSocket-Protocol": offer });
    expect([response.status, response.headers["sec-websocket-protocol"]]).toEqual([101, chosen]);
  });

  it("answers an offer of only unlisted protocols with 101 and no protocol, never one the client did not offer", async () => {
    const response = await upgrade({ "Sec-WebSocket-Protocol": "chat, echo.v3" });
    expect([response.status, response.headers["sec-websocket-protocol"]]).toEqual([101, undefined]);
  });

  it("echoes on a socket opened with a chosen subprotocol", async () => {
    const client = await connect(`${limited.wsUrl}/ws`, ["echo.v1"]);
    expect(client.ws.protocol).toBe("echo.v1");
    client.ws.send("with protocol");
    expect((await waitForMessages(client, 1))[0]?.data.toString()).toBe("with protocol");
  });
});

describe("MAX_MESSAGE_BYTES", () => {
  it("echoes text and binary messages of exactly the limit", async () => {
    const client = await connect();
    client.ws.send(textOfBytes(MAX_MESSAGE_BYTES));
    client.ws.send(binaryOfBytes(MAX_MESSAGE_BYTES));
    const echoes = await waitForMessages(client, 2);
    expect(echoes.map((echo) => [echo.binary, echo.data.length])).toEqual([
      [false, MAX_MESSAGE_BYTES],
      [true, MAX_MESSAGE_BYTES],
    ]);
  });

  it.each([
    ["a binary message", binaryOfBytes(MAX_MESSAGE_BYTES + 1), MAX_MESSAGE_BYTES + 1],
    ["a text message", textOfBytes(MAX_MESSAGE_BYTES + 1), MAX_MESSAGE_BYTES + 1],
    ["text counted in UTF-8 bytes, not characters", "\u00e9".repeat(513), 1026],
  ])("closes with 1009 and the sizes on %s over the limit", async (_, data, size) => {
    const client = await connect();
    client.ws.send(data);
    expect(await waitForClose(client)).toEqual({
      code: CLOSE_MESSAGE_TOO_BIG,
      reason: `message of ${size} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`,
    });
    expect(client.received).toEqual([]);
  });

  it("closes only the socket that sent too much: another one keeps echoing", async () => {
    const bystander = await connect();
    const offender = await connect();
    offender.ws.send(binaryOfBytes(MAX_MESSAGE_BYTES + 1));
    expect((await waitForClose(offender)).code).toBe(CLOSE_MESSAGE_TOO_BIG);
    bystander.ws.send("still here");
    expect((await waitForMessages(bystander, 1))[0]?.data.toString()).toBe("still here");
  });
});

describe("MAX_MESSAGES_PER_SECOND", () => {
  it("closes with 1008 and a rate-limit reason on a burst over the limit, after echoing the first second's worth in order", async () => {
    const client = await connect();
    for (let i = 0; i < MAX_MESSAGES_PER_SECOND * 2; i++) client.ws.send(`burst ${i}`);
    expect(await waitForClose(client)).toEqual({
      code: CLOSE_POLICY_VIOLATION,
      reason: `rate limit: over ${MAX_MESSAGES_PER_SECOND} messages per second`,
    });
    // The bucket starts full, so at least a second's worth is echoed first, in order;
    // how many more pass depends on how fast the burst arrives, so that is not asserted.
    const first = client.received.slice(0, MAX_MESSAGES_PER_SECOND).map((echo) => echo.data.toString());
    expect(first).toEqual(Array.from({ length: MAX_MESSAGES_PER_SECOND }, (_, i) => `burst ${i}`));
  });

  it("echoes every message of a burst within the limit and keeps the socket open", async () => {
    const client = await connect();
    for (let i = 0; i < MAX_MESSAGES_PER_SECOND; i++) client.ws.send(`burst ${i}`);
    const echoes = await waitForMessages(client, MAX_MESSAGES_PER_SECOND);
    expect(echoes.map((echo) => echo.data.toString())).toEqual(
      Array.from({ length: MAX_MESSAGES_PER_SECOND }, (_, i) => `burst ${i}`),
    );
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });
});

describe("abrupt disconnects", () => {
  it("one client cut mid-frame or mid-message never disturbs another connection streaming at the same time", async () => {
    const url = `${inject("wsUrl")}/ws`;
    const streamer = await connect(url);
    const total = 2_000;
    let sent = 0;
    const stream = (async () => {
      while (sent < total) {
        for (let i = 0; i < 100; i++, sent++) streamer.ws.send(`msg ${sent}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const cuts: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      cuts.push(
        (async () => {
          // Half a frame header and payload, then the TCP connection cut.
          const halfFrame = await openRaw(inject("wsUrl"));
          rawSockets.push(halfFrame);
          const frame = encodeFrame(OP_TEXT, textOfBytes(4_000));
          halfFrame.writeRaw(frame.subarray(0, frame.length >> 1));
          halfFrame.destroy();
          // The first fragment of a message, then the cut.
          const halfMessage = await openRaw(inject("wsUrl"));
          rawSockets.push(halfMessage);
          halfMessage.send(OP_BINARY, binaryOfBytes(1_000), { fin: false });
          halfMessage.destroy();
          // A library client killed while writing a large message.
          const killed = await connect(url);
          killed.ws.send(binaryOfBytes(4 * MiB));
          killed.ws.terminate();
        })(),
      );
    }
    await Promise.all([stream, ...cuts]);

    const echoes = await waitForMessages(streamer, total, 30_000);
    expect(echoes.map((echo) => echo.data.toString())).toEqual(Array.from({ length: total }, (_, i) => `msg ${i}`));
    expect(streamer.ws.readyState).toBe(streamer.ws.OPEN);
  });
});
