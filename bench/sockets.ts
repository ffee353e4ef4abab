/**
 * The sockets of one scenario run: opened with a handshake timeout, watched for
 * unexpected closes, and always closed at the end, politely if the server
 * answers, by force if it does not.
 */
import WebSocket from "ws";
import type { RunStats } from "./stats.ts";

/** Larger than any message the tool sends (32 MiB), so the client never refuses an echo. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const CLOSE_NORMAL = 1000;
/** The server's close for a socket over its message rate (`MAX_MESSAGES_PER_SECOND`). */
const CLOSE_POLICY = 1008;
const RATE_LIMIT_REASON = "rate limit";
const TOO_MANY_REQUESTS = 429;

/** One open socket of a run. Set `onMessage` and `onLost` before sending. */
export class BenchSocket {
  readonly ws: WebSocket;
  readonly name: string;
  /** Settles when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  /** True once we started closing: a close after that is expected. */
  closing = false;
  onMessage: (data: Buffer, binary: boolean, now: number) => void = () => {};
  /** Called once if the server or the network ends the socket before we close it. */
  onLost: () => void = () => {};
  /** Where an unexpected close counts; a socket kept for a later phase moves to that phase's stats. */
  stats: RunStats;

  constructor(ws: WebSocket, name: string, stats: RunStats) {
    this.ws = ws;
    this.name = name;
    this.stats = stats;
    let lastError = "";
    ws.on("message", (data, isBinary) => this.onMessage(asBuffer(data), isBinary, performance.now()));
    ws.on("error", (error) => {
      lastError = `: ${error.message}`;
    });
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        if (!this.closing) {
          if (code === CLOSE_POLICY && reason.toString().startsWith(RATE_LIMIT_REASON)) this.stats.limited.rateCloses++;
          this.stats.fail("unexpectedCloses", `${name} closed by the server: ${code} ${reason.toString()}${lastError}`);
          this.onLost();
        }
        resolve();
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.closing;
  }

  /** Sends unless the socket is closing; returns whether it sent. */
  send(bytes: Buffer, binary: boolean): boolean {
    if (!this.open) return false;
    this.ws.send(bytes, { binary });
    return true;
  }
}

/** Opens, tracks and finally closes every socket of one run. */
export class SocketPool {
  private readonly sockets = new Set<BenchSocket>();
  private readonly connecting = new Set<WebSocket>();
  private readonly stats: RunStats;
  private readonly signal: AbortSignal;
  private readonly connectTimeoutMs: number;

  constructor(stats: RunStats, signal: AbortSignal, connectTimeoutMs: number) {
    this.stats = stats;
    this.signal = signal;
    this.connectTimeoutMs = connectTimeoutMs;
  }

  /** Opens one socket; a failure is counted and gives `null`. */
  open(url: string, name: string): Promise<BenchSocket | null> {
    if (this.signal.aborted) return Promise.resolve(null);
    const started = performance.now();
    const ws = new WebSocket(url, {
      perMessageDeflate: false, // measure the server, not zlib
      handshakeTimeout: this.connectTimeoutMs,
      maxPayload: MAX_PAYLOAD_BYTES,
    });
    this.connecting.add(ws);
    return new Promise((resolve) => {
      let settled = false;
      const failed = (why: string) => {
        // Terminating a failed handshake raises one more error: count the first only.
        if (settled) return;
        settled = true;
        this.connecting.delete(ws);
        ws.terminate();
        if (!this.signal.aborted) this.stats.fail("connectFailures", `${name}: handshake with ${url} failed: ${why}`);
        resolve(null);
      };
      ws.once("unexpected-response", (request, response) => {
        request.destroy();
        const status = `HTTP ${response.statusCode} ${response.statusMessage ?? ""}`.trim();
        if (response.statusCode !== TOO_MANY_REQUESTS) return failed(status);
        if (!this.signal.aborted) this.stats.limited.refused429++;
        failed(`${status} (Retry-After: ${response.headers["retry-after"] ?? "none"}): the server's per-address limit`);
      });
      ws.on("error", (error) => failed(error.message));
      ws.once("open", () => {
        settled = true;
        this.connecting.delete(ws);
        ws.removeAllListeners("error");
        this.stats.connect.record((performance.now() - started) * 1000);
        this.stats.sockets++;
        const socket = new BenchSocket(ws, name, this.stats);
        this.sockets.add(socket);
        resolve(socket);
      });
    });
  }

  /**
   * Opens `count` sockets named `name first`, `name first+1`, ..., at most `concurrency`
   * handshakes at a time; returns those that opened, in order.
   */
  async openMany(url: string, count: number, concurrency: number, name: string, first = 0): Promise<BenchSocket[]> {
    const opened: (BenchSocket | null)[] = new Array(count).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < count && !this.signal.aborted) {
        const index = next++;
        opened[index] = await this.open(url, `${name} ${first + index}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return opened.filter((socket) => socket !== null);
  }

  /** Closes every socket with 1000, waits up to `timeoutMs` for the answers, then cuts the rest. */
  async closeAll(timeoutMs: number): Promise<void> {
    const open = [...this.sockets];
    for (const socket of open) {
      socket.closing = true;
      if (socket.ws.readyState === WebSocket.OPEN) socket.ws.close(CLOSE_NORMAL, "bench done");
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(open.map((socket) => socket.closed)), timeout]);
    clearTimeout(timer);
    this.terminateAll();
  }

  /** Cuts every socket at once, handshakes in progress included. */
  terminateAll(): void {
    for (const socket of this.sockets) {
      socket.closing = true;
      socket.ws.terminate();
    }
    for (const ws of this.connecting) ws.terminate();
    this.sockets.clear();
    this.connecting.clear();
  }
}

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
