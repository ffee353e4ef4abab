/**
 * One echo connection: every message goes back to its sender, same type, same
 * order; the peer's close is answered with its own code and reason. The test
 * controls (controls.ts) may greet, hold echoes back, push, close or cut it.
 */

import { type Config, PLATFORM_MAX_MESSAGE_BYTES } from "../config";
import { logError, logEvent } from "../log";
import { canQueue, SLOW_READER_REASON, waitingBytes } from "../protocol/backpressure";
import {
  CLOSE_ABNORMAL,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  closeReplyFor,
} from "../protocol/close-codes";
import { messageBytes, withPrefix } from "../protocol/frames";
import { TokenBucket } from "../protocol/rate-limit";
import type { Controls } from "./controls";
import { Pushes } from "./push";
import { DelayedEchoes } from "./schedule";
import { Timers } from "./timers";

const encoder = new TextEncoder();

type Payload = string | ArrayBuffer;

/**
 * Thrown out of the message listener for `drop=N`. The runtime cuts a socket whose
 * listener throws, with no close frame: the one way a Worker can make a client see 1006.
 */
export class ConnectionDropped extends Error {
  override readonly name = "ConnectionDropped";
}

/** One accepted echo socket; `open()` then starts what the controls ask for at the open. */
export class EchoSession {
  private readonly started = Date.now();
  private readonly prefixBytes: Uint8Array;
  private readonly maxMessageBytes: number;
  private readonly bucket: TokenBucket | null;
  /** The connection's traffic, logged when it ends. */
  private readonly counts = { messagesIn: 0, messagesOut: 0, pushesOut: 0, bytesIn: 0, bytesOut: 0 };
  /** Messages taken for an echo (sent or held back); `after=N` takes N and no more. */
  private echoesTaken = 0;
  private readonly timers = new Timers();
  private readonly delayed: DelayedEchoes<Payload> | null;
  /** The code we closed with, once we have; the peer's answer then needs no reply. */
  private closedWith: number | null = null;
  /** Set once a close frame went out, from either side's start. */
  private closeSent = false;
  private ended = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly path: string,
    private readonly config: Config,
    private readonly controls: Controls,
  ) {
    this.prefixBytes = encoder.encode(config.echoPrefix);
    // The echo must itself fit the platform cap, prefix included.
    this.maxMessageBytes = Math.min(config.maxMessageBytes, PLATFORM_MAX_MESSAGE_BYTES - this.prefixBytes.byteLength);
    this.bucket = config.maxMessagesPerSecond > 0 ? new TokenBucket(config.maxMessagesPerSecond, Date.now()) : null;
    const { delayMs, jitterMs } = controls;
    const deliver = (reply: Payload, bytes: number) => this.deliver(reply, bytes);
    this.delayed = delayMs + jitterMs > 0 ? new DelayedEchoes(this.timers, delayMs, jitterMs, deliver) : null;

    // Binary must arrive as ArrayBuffer: a Blob would need an await to read, and
    // an await lets a later text message overtake it.
    socket.binaryType = "arraybuffer";
    // Half-open: the runtime does not answer the peer's close for us, so we can
    // answer with the peer's own code (or 1002 for a code not allowed on the wire).
    socket.accept({ allowHalfOpen: true });
    socket.addEventListener("message", (event) => this.onMessage(event));
    socket.addEventListener("close", (event) => this.onClose(event));
    socket.addEventListener("error", (event) => this.onError(event));
  }

  /** Runs the controls that act from the open: the hello, a close due now or later, the pushes. */
  open(hello: string | null): void {
    if (hello !== null && this.send(hello)) this.counts.bytesOut += encoder.encode(hello).byteLength;
    const { close, push } = this.controls;
    if (close !== null && close.afterEchoes === 0) this.close(close.code, close.reason);
    else if (close !== null && close.afterMs !== null)
      this.timers.after(close.afterMs, () => this.close(close.code, close.reason));
    // A close at the open stopped the timers, so these pushes never start.
    if (push !== null) new Pushes(this.timers, push, (data) => this.push(data)).start();
  }

  private onMessage(event: MessageEvent): void {
    if (this.closedWith !== null) return;
    const data: unknown = event.data;
    if (typeof data !== "string" && !(data instanceof ArrayBuffer)) {
      this.fail(new TypeError(`unexpected message payload ${Object.prototype.toString.call(data)}`));
      return;
    }
    const size = messageBytes(data);
    this.counts.messagesIn++;
    this.counts.bytesIn += size;
    if (this.counts.messagesIn === this.controls.dropAt) this.drop();
    if (size > this.maxMessageBytes) {
      this.close(CLOSE_MESSAGE_TOO_BIG, `message of ${size} bytes exceeds the ${this.maxMessageBytes}-byte limit`);
      return;
    }
    if (this.bucket !== null && !this.bucket.take(Date.now())) {
      this.close(CLOSE_POLICY_VIOLATION, `rate limit: over ${this.config.maxMessagesPerSecond} messages per second`);
      return;
    }
    const closeAfter = this.controls.close?.afterEchoes ?? null;
    // The asked close follows the after-th echo: later messages are not echoed.
    if (closeAfter !== null && this.echoesTaken >= closeAfter) return;
    const replyBytes = size + this.prefixBytes.byteLength;
    if (!this.canQueue(replyBytes)) return;
    this.echoesTaken++;
    const reply = withPrefix(data, this.config.echoPrefix, this.prefixBytes);
    if (this.delayed === null) this.deliver(reply, replyBytes);
    else this.delayed.hold(reply, replyBytes);
  }

  /** Sends an echo; closes after it when it is the `after`-th. */
  private deliver(reply: Payload, bytes: number): void {
    if (this.closedWith !== null || !this.send(reply)) return;
    this.counts.messagesOut++;
    this.counts.bytesOut += bytes;
    const close = this.controls.close;
    if (close !== null && this.counts.messagesOut === close.afterEchoes) this.close(close.code, close.reason);
  }

  private push(data: Payload): void {
    const bytes = messageBytes(data);
    if (this.closedWith !== null || !this.canQueue(bytes) || !this.send(data)) return;
    this.counts.pushesOut++;
    this.counts.bytesOut += bytes;
  }

  /**
   * True when `bytes` more may wait to be sent; else closes 1008. Echoes held back by
   * `delay` count as waiting: they cost the same memory as a slow reader's queue.
   */
  private canQueue(bytes: number): boolean {
    if (canQueue(waitingBytes(this.socket.bufferedAmount, this.delayed?.heldBytes ?? 0), bytes)) return true;
    this.close(CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
    return false;
  }

  private send(data: Payload): boolean {
    try {
      this.socket.send(data);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** `drop=N`: stops everything, then throws out of the listener so the runtime cuts the connection. */
  private drop(): never {
    this.closedWith = CLOSE_ABNORMAL;
    this.timers.stop();
    throw new ConnectionDropped(`drop=${this.counts.messagesIn}: connection cut with no close frame, as asked`);
  }

  private onClose(event: CloseEvent): void {
    if (this.closedWith === null) {
      const reply = closeReplyFor(event.code, event.reason, event.wasClean);
      if (reply !== null) this.sendClose(reply.code, reply.reason);
    }
    this.end(event.code, event.wasClean);
  }

  private onError(event: Event): void {
    // Once a close went out (or `drop` cut the connection), an abrupt end is expected.
    if (!this.closeSent && this.closedWith === null && !this.ended) {
      logError("echo_socket_error", event instanceof ErrorEvent ? event.error : event.type, { path: this.path });
    }
    this.end(CLOSE_ABNORMAL, false);
  }

  /** Starts the close handshake from our side. */
  private close(code: number, reason: string): void {
    if (this.closedWith !== null) return;
    this.closedWith = code;
    this.timers.stop();
    this.sendClose(code, reason);
  }

  private sendClose(code: number, reason: string): void {
    this.closeSent = true;
    try {
      this.socket.close(code, reason);
    } catch (error) {
      // Only reachable when the peer vanished mid-handshake; nothing is left to tell.
      logError("echo_close_failed", error, { path: this.path, code });
    }
  }

  private fail(error: unknown): void {
    logError("echo_failed", error, { path: this.path });
    this.close(CLOSE_INTERNAL_ERROR, "internal error");
  }

  private end(peerCode: number, clean: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.stop();
    logEvent("echo_connection_closed", {
      path: this.path,
      code: this.closedWith ?? peerCode,
      closedBy: this.closedWith === null ? "client" : "server",
      clean,
      durationMs: Date.now() - this.started,
      ...this.counts,
    });
  }
}
