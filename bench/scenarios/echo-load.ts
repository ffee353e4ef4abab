/**
 * Echo load, the engine of `pingpong`, `connections`, `throughput` and `mixed`:
 * C connections each keep W messages in flight for the measured time, then
 * wait for the last echoes. Every echo is verified against what was sent.
 */
import { type LoadSettings, latch, type RunContext, sleep } from "../context.ts";
import { type MessageKind, mixedSize } from "../payload.ts";
import type { BenchSocket } from "../sockets.ts";
import { SentLog, StreamVerifier } from "../verify.ts";

export interface EchoLoad {
  connections: number;
  /** Messages in flight per connection. */
  window: number;
  /** Message size in bytes, or the largest size when `mixed`. */
  size: number;
  /** `alternate` sends text and binary in turn. */
  kind: MessageKind | "alternate";
  /** Sizes spread over [16 B, size] instead of all equal to `size`. */
  mixedSizes: boolean;
}

/** Handshakes at a time while opening the connections. */
const OPEN_CONCURRENCY = 50;

/** Runs the load and records it in `ctx.stats`; closes every socket before returning. */
export async function runEchoLoad(ctx: RunContext, load: EchoLoad): Promise<void> {
  const { pool, settings, signal, stats } = ctx;
  const sockets = await pool.openMany(ctx.url.href, load.connections, OPEN_CONCURRENCY, "connection");
  if (sockets.length > 0 && !signal.aborted) {
    const state = { sending: true };
    const streams = sockets.map((socket) => new EchoStream(socket, load, ctx, state));
    const started = performance.now();
    for (const stream of streams) stream.pump();
    await sleep(settings.seconds * 1000, signal);
    state.sending = false;
    for (const stream of streams) stream.checkDrained();
    await Promise.race([Promise.all(streams.map((stream) => stream.drained)), sleep(settings.drainMs, signal)]);
    stats.seconds = (performance.now() - started) / 1000;
    for (const stream of streams) stream.verifier.finish();
  }
  await pool.closeAll(settings.closeTimeoutMs);
}

/** One connection's send loop and its verifier. */
class EchoStream {
  readonly verifier: StreamVerifier;
  private readonly log = new SentLog(1);
  private readonly drainedLatch = latch();
  private readonly socket: BenchSocket;
  private readonly load: EchoLoad;
  private readonly state: { sending: boolean };

  constructor(socket: BenchSocket, load: EchoLoad, ctx: RunContext, state: { sending: boolean }) {
    this.socket = socket;
    this.load = load;
    this.state = state;
    this.verifier = new StreamVerifier(this.log, ctx.stats, socket.name);
    socket.onMessage = (data, binary, now) => {
      this.verifier.receive(data, binary, now);
      if (this.state.sending) this.pump();
      else this.checkDrained();
    };
    socket.onLost = () => this.drainedLatch.open();
  }

  /** Settles once nothing is in flight after sending stopped, or the socket is gone. */
  get drained(): Promise<void> {
    return this.drainedLatch.promise;
  }

  /** Tops the window up. */
  pump(): void {
    while (this.state.sending && this.log.inFlight < this.load.window && this.socket.open) {
      const seq = this.log.sent;
      const size = this.load.mixedSizes ? mixedSize(seq, this.load.size) : this.load.size;
      const kind = this.load.kind === "alternate" ? (seq % 2 === 0 ? "text" : "binary") : this.load.kind;
      const message = this.log.next(size, kind);
      this.socket.send(message.bytes, message.binary);
    }
  }

  checkDrained(): void {
    if (this.log.inFlight === 0) this.drainedLatch.open();
  }
}

/** Settings a scenario did not fix, with the scenario's defaults. */
export function echoLoadFrom(
  settings: LoadSettings,
  defaults: { connections: number; window: number; size: number },
): Pick<EchoLoad, "connections" | "window" | "size"> {
  return {
    connections: settings.connections ?? defaults.connections,
    window: settings.window ?? defaults.window,
    size: settings.size ?? defaults.size,
  };
}
