/**
 * One echo connection: every message goes back to its sender, same type, same
 * order; the peer's close is answered with its own code and reason.
 */

import { type Config, PLATFORM_MAX_MESSAGE_BYTES } from "../config";
import { logError, logEvent } from "../log";
import { canQueue, SLOW_READER_REASON } from "../protocol/backpressure";
import {
  CLOSE_ABNORMAL,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  closeReplyFor,
} from "../protocol/close-codes";
import { messageBytes, withPrefix } from "../protocol/frames";
import { TokenBucket } from "../protocol/rate-limit";

const encoder = new TextEncoder();

/** Accepts the upgrade: returns the 101 response carrying the client end of a new echo socket. */
export function acceptEcho(path: string, config: Config, protocol: string | null): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  new EchoSession(server, path, config);
  const headers: HeadersInit = protocol === null ? {} : { "Sec-WebSocket-Protocol": protocol };
  return new Response(null, { status: 101, webSocket: client, headers });
}

class EchoSession {
  private readonly started = Date.now();
  private readonly prefixBytes: Uint8Array;
  private readonly maxMessageBytes: number;
  private readonly bucket: TokenBucket | null;
  private messagesIn = 0;
  private messagesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  /** The code we closed with, once we have; the peer's answer then needs no reply. */
  private closedWith: number | null = null;
  /** Set once a close frame went out, from either side's start. */
  private closeSent = false;
  private ended = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly path: string,
    private readonly config: Config,
  ) {
    this.prefixBytes = encoder.encode(config.echoPrefix);
    // The echo must itself fit the platform cap, prefix included.
    this.maxMessageBytes = Math.min(config.maxMessageBytes, PLATFORM_MAX_MESSAGE_BYTES - this.prefixBytes.byteLength);
    this.bucket = config.maxMessagesPerSecond > 0 ? new TokenBucket(config.maxMessagesPerSecond, Date.now()) : null;

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

  private onMessage(event: MessageEvent): void {
    if (this.closedWith !== null) return;
    const data: unknown = event.data;
    if (typeof data !== "string" && !(data instanceof ArrayBuffer)) {
      this.fail(new TypeError(`unexpected message payload ${Object.prototype.toString.call(data)}`));
      return;
    }
    const size = messageBytes(data);
    this.messagesIn++;
    this.bytesIn += size;
    if (size > this.maxMessageBytes) {
      this.close(CLOSE_MESSAGE_TOO_BIG, `message of ${size} bytes exceeds the ${this.maxMessageBytes}-byte limit`);
      return;
    }
    if (this.bucket !== null && !this.bucket.take(Date.now())) {
      this.close(CLOSE_POLICY_VIOLATION, `rate limit: over ${this.config.maxMessagesPerSecond} messages per second`);
      return;
    }
    const replyBytes = size + this.prefixBytes.byteLength;
    if (!canQueue(this.socket.bufferedAmount, replyBytes)) {
      this.close(CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
      return;
    }
    try {
      this.socket.send(withPrefix(data, this.config.echoPrefix, this.prefixBytes));
      this.messagesOut++;
      this.bytesOut += replyBytes;
    } catch (error) {
      this.fail(error);
    }
  }

  private onClose(event: CloseEvent): void {
    if (this.closedWith === null) {
      const reply = closeReplyFor(event.code, event.reason, event.wasClean);
      if (reply !== null) this.sendClose(reply.code, reply.reason);
    }
    this.end(event.code, event.wasClean);
  }

  private onError(event: Event): void {
    // Once a close went out, a peer that drops the connection instead of finishing is expected.
    if (!this.closeSent && !this.ended) {
      logError("echo_socket_error", event instanceof ErrorEvent ? event.error : event.type, { path: this.path });
    }
    this.end(CLOSE_ABNORMAL, false);
  }

  /** Starts the close handshake from our side. */
  private close(code: number, reason: string): void {
    this.closedWith = code;
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
    logEvent("echo_connection_closed", {
      path: this.path,
      code: this.closedWith ?? peerCode,
      closedBy: this.closedWith === null ? "client" : "server",
      clean,
      durationMs: Date.now() - this.started,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    });
  }
}
