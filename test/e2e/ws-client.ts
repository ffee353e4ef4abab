/**
 * Small helpers over the `ws` client for the e2e tests: open, read the next
 * echoes, wait for the close. Each has a timeout whose message names the likely cause.
 */
import WebSocket from "ws";
import { DEFAULT_TIMEOUT_MS, withTimeout } from "./raw-socket.ts";

/** Above the platform's 32 MiB cap, so the client never refuses an echo the server sends. */
const CLIENT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** A received message: bytes as they were on the wire, and whether the frame was binary. */
export interface Received {
  data: Buffer;
  binary: boolean;
}

/** An open `ws` client that queues what it receives, so no message is missed between awaits. */
export interface Client {
  readonly ws: WebSocket;
  readonly received: Received[];
  /** Settles with the close code and reason, whoever closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/**
 * Opens a `ws` client on `url`; rejects if the handshake does not finish in time.
 * permessage-deflate is off unless asked for: compression would change the frame
 * sizes the tests mean to hit.
 */
export async function openClient(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]) {
  const ws = new WebSocket(url, protocols, {
    maxPayload: CLIENT_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    ...options,
  });
  const received: Received[] = [];
  ws.on("message", (data, binary) => received.push({ data: asBuffer(data), binary }));
  ws.on("error", () => {}); // surfaced as a close or an open failure below
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (request, response) => {
        request.destroy(); // ws leaves the refused request to whoever listens for it
        reject(new Error(`upgrade refused with ${response.statusCode}`));
      });
      ws.once("error", reject);
    }),
    DEFAULT_TIMEOUT_MS,
    `no WebSocket handshake with ${url}: is wrangler dev up?`,
  );
  return { ws, received, closed } satisfies Client;
}

/** Resolves once `client` has received `count` messages in all; returns them all. */
export async function waitForMessages(client: Client, count: number, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const start = Date.now();
  while (client.received.length < count) {
    if (client.ws.readyState === WebSocket.CLOSED) {
      const { code, reason } = await client.closed;
      throw new Error(
        `socket closed ${code} ${JSON.stringify(reason)} after ${client.received.length}/${count} echoes`,
      );
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${client.received.length}/${count} echoes after ${timeoutMs} ms: messages were lost or stalled`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return client.received.slice(0, count);
}

/** The close code and reason `client` ends with. */
export function waitForClose(client: Client, timeoutMs = DEFAULT_TIMEOUT_MS) {
  return withTimeout(client.closed, timeoutMs, "the socket stayed open: the server did not close it");
}

/** Sends one message and resolves with its echo: the service still serves. */
export async function expectEcho(url: string, text = `still serving ${Date.now()}`): Promise<string> {
  const client = await openClient(url);
  try {
    client.ws.send(text);
    const [echo] = await waitForMessages(client, 1);
    return echo?.data.toString() ?? "";
  } finally {
    client.ws.terminate();
  }
}

/** Closes politely, and by force if the server does not answer. */
export async function closeClient(client: Client): Promise<void> {
  if (client.ws.readyState === WebSocket.CLOSED) return;
  client.ws.close(1000);
  await withTimeout(client.closed, 2_000, "no close answer").catch(() => client.ws.terminate());
}

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
