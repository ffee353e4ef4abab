/**
 * Echo load, the engine of `pingpong`, `connections`, `throughput` and `mixed`:
 * C connections each keep W messages in flight for the measured time, then
 * wait for the last echoes. Every echo is verified against what was sent.
 */
import { type LoadSettings, type RunContext, sleep } from "../context.ts";
import { EchoChannel } from "../echo-channel.ts";
import { type MessageKind, mixedSize } from "../payload.ts";

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
    let sending = true;
    /** Tops a connection's window up. */
    const pump = (channel: EchoChannel) => {
      while (sending && channel.inFlight < load.window && channel.socket.open) {
        const seq = channel.sent;
        const kind = load.kind === "alternate" ? (seq % 2 === 0 ? "text" : "binary") : load.kind;
        channel.send(load.mixedSizes ? mixedSize(seq, load.size) : load.size, kind);
      }
    };
    const channels = sockets.map((socket) => new EchoChannel(socket, stats));
    const started = performance.now();
    for (const channel of channels) {
      channel.onEcho = () => pump(channel);
      pump(channel);
    }
    await sleep(settings.seconds * 1000, signal);
    sending = false;
    await Promise.race([Promise.all(channels.map((channel) => channel.settled())), sleep(settings.drainMs, signal)]);
    stats.seconds = (performance.now() - started) / 1000;
    for (const channel of channels) channel.finish();
  }
  await pool.closeAll(settings.closeTimeoutMs);
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
