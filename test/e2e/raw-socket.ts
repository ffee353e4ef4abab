/**
 * The client end of a raw RFC 6455 connection, for what a WebSocket library
 * refuses to send: reserved bits and opcodes, bad close codes, oversized pings,
 * half-written frames. `raw-upgrade.ts` opens it.
 */
import type { Socket } from "node:net";
import {
  type Close,
  closePayload,
  describe,
  encodeFrame,
  type Frame,
  type FrameOptions,
  FrameParser,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_TEXT,
  parseClose,
} from "./raw-frames.ts";

/** Long enough for wrangler dev on 2 busy cores; short enough to fail a test quickly. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Rejects with `message` (which should name the likely cause) if `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A whole data message, continuation frames joined. */
export interface Message {
  type: "text" | "binary";
  data: Buffer;
}

/** The client end of an upgraded connection: writes raw frames, reads the server's frames in order. */
export class RawWebSocket {
  /** The TCP socket, for tests that cut it. */
  readonly socket: Socket;
  private readonly parser = new FrameParser();
  private readonly frames: Frame[] = [];
  private wake: (() => void) | null = null;
  /** Set once the TCP connection has ended, with why. */
  private endedWith: string | null = null;

  constructor(socket: Socket, leftover: Buffer) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.end(`socket error: ${error.message}`));
    socket.on("close", () => this.end("the server closed the TCP connection"));
    if (leftover.length > 0) this.receive(leftover);
  }

  /** Writes one frame (masked unless told otherwise). */
  send(opcode: number, payload: Uint8Array | string = "", options: FrameOptions = {}): void {
    this.socket.write(encodeFrame(opcode, payload, options));
  }

  /** Writes raw bytes, e.g. half a frame. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a close frame with `code` (an empty payload when null) and `reason`. */
  sendClose(code: number | null, reason: string | Uint8Array = ""): void {
    this.send(OP_CLOSE, code === null ? Buffer.alloc(0) : closePayload(code, reason));
  }

  /** The next frame from the server, whatever its type. */
  async nextFrame(timeoutMs = DEFAULT_TIMEOUT_MS, cause = "the server sent nothing"): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.endedWith !== null) throw new Error(`expected a frame, but ${this.endedWith}`);
      const left = deadline - Date.now();
      const message = `no frame within ${timeoutMs} ms: ${cause}`;
      if (left <= 0) throw new Error(message);
      await withTimeout(new Promise<void>((resolve) => (this.wake = resolve)), left, message).finally(
        () => (this.wake = null),
      );
    }
  }

  /** The next data message, fragments joined; fails on a control frame so nothing is silently skipped. */
  async nextMessage(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Message> {
    const first = await this.nextFrame(timeoutMs, "no echo: the message was dropped or is still in flight");
    if (first.opcode !== OP_TEXT && first.opcode !== OP_BINARY) {
      throw new Error(`expected a message, got ${describe(first)}`);
    }
    const parts = [first.payload];
    let frame = first;
    while (!frame.fin) {
      frame = await this.nextFrame(timeoutMs, "a fragmented message was never finished");
      if (frame.opcode !== OP_CONTINUATION) throw new Error(`expected a continuation, got ${describe(frame)}`);
      parts.push(frame.payload);
    }
    return { type: first.opcode === OP_TEXT ? "text" : "binary", data: Buffer.concat(parts) };
  }

  /** The server's close frame; a data frame before it fails the wait, as it was not expected. */
  async waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Close> {
    const frame = await this.nextFrame(timeoutMs, "the server did not close: it accepted what should be refused");
    if (frame.opcode !== OP_CLOSE) throw new Error(`expected a close frame, got ${describe(frame)}`);
    return parseClose(frame.payload);
  }

  /** Resolves once the TCP connection is gone (after a close handshake, or a drop). */
  async waitForEnd(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (this.endedWith !== null || this.socket.closed) return;
    await withTimeout(
      new Promise<void>((resolve) => this.socket.once("close", () => resolve())),
      timeoutMs,
      "the server kept the TCP connection open after the close handshake",
    );
  }

  /** Cuts the TCP connection without a close frame. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.frames.push(...this.parser.push(chunk));
    this.wake?.();
  }

  private end(why: string): void {
    this.endedWith ??= why;
    this.wake?.();
  }
}
