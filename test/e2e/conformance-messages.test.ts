/**
 * Whole messages through the echo under `wrangler dev`, with the `ws` client:
 * every length-encoding boundary and the 32 MiB platform cap, byte-exact;
 * text stays text, binary stays binary, order kept.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { binaryOfBytes, MiB, textOfBytes } from "./payloads.ts";
import { OP_BINARY, OP_CONTINUATION, OP_TEXT } from "./raw-frames.ts";
import type { RawWebSocket } from "./raw-socket.ts";
import { openRaw } from "./raw-upgrade.ts";
import { type Client, closeClient, openClient, waitForMessages } from "./ws-client.ts";

const CLOSE_MESSAGE_TOO_BIG = 1009;
/** The platform's cap on one WebSocket message. */
const PLATFORM_MAX_MESSAGE_BYTES = 32 * MiB;
/** Big messages cross two proxies on two shared cores. */
const BIG_MESSAGE_TIMEOUT_MS = 45_000;
const url = `${inject("wsUrl")}/ws`;
const clients: Client[] = [];
const rawSockets: RawWebSocket[] = [];

async function connect(): Promise<Client> {
  const client = await openClient(url);
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  for (const socket of rawSockets.splice(0)) socket.destroy();
});

/** A final frame's header announcing `length` payload bytes, masked with a zero key; no payload follows. */
function frameHeader(opcode: number, length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x80 | opcode;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** Sends `data` and checks the single echo is the same bytes with the same type. */
async function expectExactEcho(client: Client, data: Buffer, binary: boolean): Promise<void> {
  client.ws.send(data, { binary });
  const [echo] = await waitForMessages(client, 1, BIG_MESSAGE_TIMEOUT_MS);
  expect(echo?.binary).toBe(binary);
  expect(echo?.data.length).toBe(data.length);
  // equals() rather than toEqual(): a diff of megabytes would drown the failure.
  expect(echo?.data.equals(data)).toBe(true);
}

describe("message sizes", () => {
  it.each([0, 125, 126, 65_535, 65_536, 16 * MiB])("echoes a %i-byte text message byte-exact as text", async (size) => {
    await expectExactEcho(await connect(), Buffer.from(textOfBytes(size)), false);
  });

  it.each([0, 125, 126, 65_535, 65_536, 16 * MiB])(
    "echoes a %i-byte binary message byte-exact as binary",
    async (size) => {
      await expectExactEcho(await connect(), binaryOfBytes(size), true);
    },
  );

  it("echoes a message of exactly 32 MiB, text and binary", async () => {
    const client = await connect();
    await expectExactEcho(client, binaryOfBytes(PLATFORM_MAX_MESSAGE_BYTES), true);
    client.received.length = 0;
    await expectExactEcho(client, Buffer.from(textOfBytes(PLATFORM_MAX_MESSAGE_BYTES)), false);
  });

  // Over the cap the runtime closes on the frame header, before reading the payload, so
  // these send headers only: a client still writing the payload may see the TCP reset
  // overtake the close frame and report 1006 instead (README "Hardening").
  it.each([
    ["binary", OP_BINARY],
    ["text", OP_TEXT],
  ])("closes with 1009 from the runtime on a %s frame declaring 32 MiB + 1 bytes", async (_, opcode) => {
    const socket = await openRaw(inject("wsUrl"));
    rawSockets.push(socket);
    socket.writeRaw(frameHeader(opcode, PLATFORM_MAX_MESSAGE_BYTES + 1));
    expect(await socket.waitForClose()).toMatchObject({
      code: CLOSE_MESSAGE_TOO_BIG,
      reason: `Message is too large: ${PLATFORM_MAX_MESSAGE_BYTES + 1} > ${PLATFORM_MAX_MESSAGE_BYTES}`,
    });
  });

  it("closes with 1009 on a fragmented message whose fragments add up to 32 MiB + 1 bytes", async () => {
    const socket = await openRaw(inject("wsUrl"));
    rawSockets.push(socket);
    socket.send(OP_BINARY, Buffer.alloc(16 * MiB), { fin: false });
    socket.writeRaw(frameHeader(OP_CONTINUATION, 16 * MiB + 1));
    // The runtime counts each frame against what is left of the cap.
    expect(await socket.waitForClose(BIG_MESSAGE_TIMEOUT_MS)).toMatchObject({
      code: CLOSE_MESSAGE_TOO_BIG,
      reason: `Message is too large: ${16 * MiB + 1} > ${16 * MiB}`,
    });
  });
});

describe("permessage-deflate (negotiated by the runtime when offered)", () => {
  it("negotiates permessage-deflate and echoes a 16 MiB message byte-exact through it", async () => {
    const client = await openClient(url, { perMessageDeflate: true });
    clients.push(client);
    expect(client.ws.extensions).toBe("permessage-deflate");
    await expectExactEcho(client, binaryOfBytes(16 * MiB), true);
  });
});

describe("types and order", () => {
  it("keeps text as text and binary as binary, in order, over 1,000 alternating messages", async () => {
    const client = await connect();
    const sent: { data: Buffer; binary: boolean }[] = [];
    for (let i = 0; i < 1_000; i++) {
      const binary = i % 2 === 1;
      const data = binary ? Buffer.from(Uint32Array.of(i).buffer) : Buffer.from(`text ${i}`);
      sent.push({ data, binary });
      client.ws.send(data, { binary });
    }
    expect(await waitForMessages(client, sent.length, 30_000)).toEqual(sent);
  });

  it("echoes text that looks like JSON or a number as text, unchanged", async () => {
    const client = await connect();
    const texts = ['{"type":"ping"}', "42", "ping", " ", "\u0000"];
    for (const text of texts) client.ws.send(text);
    const echoes = await waitForMessages(client, texts.length);
    expect(echoes.map((echo) => [echo.binary, echo.data.toString()])).toEqual(texts.map((text) => [false, text]));
  });
});
