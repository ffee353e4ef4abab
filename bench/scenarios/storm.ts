/**
 * Connection storm: open N sockets, at most K handshakes at a time, echo one
 * message on each, hold them all open, then close them all. Measures how fast
 * a server accepts sockets and whether it keeps them.
 */
import { type RunContext, sleep } from "../context.ts";
import { EchoChannel } from "../echo-channel.ts";
import type { BenchSocket } from "../sockets.ts";

export interface Storm {
  sockets: number;
  concurrency: number;
  size: number;
  holdMs: number;
}

/** Opens sockets until N are open or the measured time is up; the rate is over that opening phase. */
export async function runStorm(ctx: RunContext, storm: Storm): Promise<void> {
  const { pool, settings, signal, stats } = ctx;
  const started = performance.now();
  const stopAt = started + settings.seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (next < storm.sockets && performance.now() < stopAt && !signal.aborted) {
      const index = next++;
      const socket = await pool.open(ctx.url.href, `socket ${index}`);
      if (socket !== null) await echoOnce(socket, ctx, storm.size, settings.drainMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(storm.concurrency, storm.sockets) }, worker));
  stats.seconds = (performance.now() - started) / 1000;
  // Held sockets that the server drops now count as unexpected closes.
  await sleep(storm.holdMs, signal);
  await pool.closeAll(settings.closeTimeoutMs);
}

async function echoOnce(socket: BenchSocket, ctx: RunContext, size: number, timeoutMs: number): Promise<void> {
  const channel = new EchoChannel(socket, ctx.stats);
  channel.send(size, "text");
  await Promise.race([channel.settled(), sleep(timeoutMs, ctx.signal)]);
  channel.finish();
}
