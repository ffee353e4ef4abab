/**
 * Hand-written WebSocket upgrade requests over `node:net`: any method, path and
 * headers (missing, malformed, huge), and the answer read whatever its status.
 */

import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { DEFAULT_TIMEOUT_MS, RawWebSocket, withTimeout } from "./raw-socket.ts";

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The `Sec-WebSocket-Accept` a server must answer to `key` (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash("sha1")
    .update(key + WEBSOCKET_GUID)
    .digest("base64");
}

export interface UpgradeOptions {
  /** Default `/ws`. */
  path?: string;
  /** Default `GET`. */
  method?: string;
  /** Headers added to or replacing the defaults; `null` leaves a default header out. */
  headers?: Record<string, string | null>;
  timeoutMs?: number;
}

export interface UpgradeResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** The `Sec-WebSocket-Key` that was sent, if any. */
  key: string | null;
  /** The open connection when the status is 101, else null (and the TCP socket is closed). */
  socket: RawWebSocket | null;
}

/**
 * Sends a hand-written upgrade request to `wsUrl` (`ws://host:port`) and reads the
 * answer. Rejects only when the server closes the connection without an HTTP response.
 */
export async function rawUpgrade(wsUrl: string, options: UpgradeOptions = {}): Promise<UpgradeResponse> {
  const { path = "/ws", method = "GET", timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const url = new URL(wsUrl);
  const headers: Record<string, string | null> = {
    Host: url.host,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...options.headers,
  };
  const lines = [`${method} ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  try {
    return await withTimeout(
      readResponse(socket, headers["Sec-WebSocket-Key"] ?? null),
      timeoutMs,
      `no HTTP response to ${method} ${path}: the server is down or stalled`,
    );
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Opens a WebSocket with a hand-written handshake; fails unless the server answers 101. */
export async function openRaw(wsUrl: string, options: UpgradeOptions = {}): Promise<RawWebSocket> {
  const response = await rawUpgrade(wsUrl, options);
  if (response.socket === null) throw new Error(`upgrade refused with ${response.status}: ${response.body.trim()}`);
  return response.socket;
}

function readResponse(socket: Socket, key: string | null): Promise<UpgradeResponse> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string>; bodyStart: number } | null = null;
    const done = (response: UpgradeResponse) => {
      socket.off("data", onData).off("close", onClose).off("error", onError);
      resolve(response);
    };
    const tryBody = (ended: boolean) => {
      if (head === null) return;
      const body = received.subarray(head.bodyStart);
      const length = head.headers["content-length"];
      const chunked = /chunked/i.test(head.headers["transfer-encoding"] ?? "");
      let text: string | null = null;
      if (length !== undefined && body.length >= Number(length)) text = body.subarray(0, Number(length)).toString();
      else if (chunked && body.includes("0\r\n\r\n")) text = dechunk(body);
      else if (ended || (length === undefined && !chunked && head.status === 204)) text = body.toString();
      if (text === null) return;
      socket.destroy();
      done({ status: head.status, headers: head.headers, body: text, key, socket: null });
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (head === null) {
        const end = received.indexOf("\r\n\r\n");
        if (end === -1) return;
        head = parseHead(received.subarray(0, end).toString("latin1"), end + 4);
        if (head.status === 101) {
          done({ ...head, body: "", key, socket: new RawWebSocket(socket, received.subarray(head.bodyStart)) });
          return;
        }
      }
      tryBody(false);
    };
    const onClose = () => {
      if (head !== null) tryBody(true);
      else reject(new Error("the server closed the connection without an HTTP response"));
    };
    const onError = (error: Error) => reject(new Error(`connection failed: ${error.message}`));
    socket.on("data", onData).on("close", onClose).on("error", onError);
  });
}

function parseHead(text: string, bodyStart: number) {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status, headers, bodyStart };
}

function dechunk(body: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString(), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString();
}
