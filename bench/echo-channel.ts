/**
 * One socket talking to an echo: each message it sends is logged, and each echo
 * is checked against the log, byte for byte, type for type, in order. The
 * verifying client of the echo scenarios and of `npm run load`.
 */
import { latch } from "./context.ts";
import type { MessageKind } from "./payload.ts";
import type { BenchSocket } from "./sockets.ts";
import type { RunStats } from "./stats.ts";
import { SentLog, StreamVerifier } from "./verify.ts";

export class EchoChannel {
  readonly socket: BenchSocket;
  /** Called after each echo is checked, e.g. to send more. */
  onEcho: () => void = () => {};
  private readonly log = new SentLog(1);
  private readonly verifier: StreamVerifier;
  private waiting: ReturnType<typeof latch> | null = null;

  /** Takes over `socket`'s events; its echoes, and an unexpected close, count in `stats`. */
  constructor(socket: BenchSocket, stats: RunStats) {
    this.socket = socket;
    socket.stats = stats;
    this.verifier = new StreamVerifier(this.log, stats, socket.name);
    socket.onMessage = (data, binary, now) => {
      this.verifier.receive(data, binary, now);
      if (this.verifier.upToDate) this.wake();
      this.onEcho();
    };
    socket.onLost = () => this.wake();
  }

  /** Messages sent so far; also the next one's sequence number. */
  get sent(): number {
    return this.log.sent;
  }

  /** Messages sent and not echoed yet (a message overtaken by a later echo no longer counts). */
  get inFlight(): number {
    return this.log.inFlight;
  }

  /** True when every message sent so far has come back. */
  get upToDate(): boolean {
    return this.verifier.upToDate;
  }

  /** Sends message number `sent` of `size` bytes unless the socket is closing; returns whether it sent. */
  send(size: number, kind: MessageKind): boolean {
    if (!this.socket.open) return false;
    const message = this.log.next(size, kind);
    return this.socket.send(message.bytes, message.binary);
  }

  /** Settles once every message sent so far has come back, or the socket is gone. */
  settled(): Promise<void> {
    if (this.verifier.upToDate || !this.socket.open) return Promise.resolve();
    this.waiting ??= latch();
    return this.waiting.promise;
  }

  /** Ends the check: whatever has not come back counts as lost. */
  finish(): void {
    this.verifier.finish();
    this.wake();
  }

  private wake(): void {
    this.waiting?.open();
    this.waiting = null;
  }
}
