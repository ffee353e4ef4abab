/**
 * Room fan-out: N receivers and one sender join a fresh room; the sender keeps
 * W messages in flight (a message is in flight until every receiver has it),
 * and every receiver must get every message, intact and in order.
 */
import { randomUUID } from "node:crypto";
import { latch, type RunContext, sleep } from "../context.ts";
import { SentLog, StreamVerifier } from "../verify.ts";

export interface Fanout {
  receivers: number;
  concurrency: number;
  window: number;
  size: number;
}

/** `/rooms/bench-<uuid>` on the origin of `url`: a room nobody else is in. */
export function freshRoomUrl(url: URL): URL {
  return new URL(`/rooms/bench-${randomUUID()}`, url);
}

export async function runFanout(ctx: RunContext, fanout: Fanout): Promise<void> {
  const { pool, settings, signal, stats } = ctx;
  const room = freshRoomUrl(ctx.url).href;
  const receivers = await pool.openMany(room, fanout.receivers, fanout.concurrency, "receiver");
  const sender = await pool.open(room, "sender");
  if (sender !== null && receivers.length > 0 && !signal.aborted) {
    const log = new SentLog(receivers.length);
    const drained = latch();
    let sending = true;
    const pump = () => {
      while (sending && log.inFlight < fanout.window && sender.open) {
        const message = log.next(fanout.size, log.sent % 2 === 0 ? "text" : "binary");
        sender.send(message.bytes, message.binary);
      }
      if (!sending && log.inFlight === 0) drained.open();
    };
    const verifiers = receivers.map((receiver) => {
      const verifier = new StreamVerifier(log, stats, receiver.name);
      receiver.onMessage = (data, binary, now) => {
        verifier.receive(data, binary, now);
        pump();
      };
      // A receiver that is gone stops holding the window open.
      receiver.onLost = () => {
        verifier.finish();
        pump();
      };
      return verifier;
    });
    sender.onMessage = (data) =>
      stats.fail("mismatches", `sender: the room sent its own message back (${data.length} bytes) without ?echo=1`);
    sender.onLost = () => {
      sending = false;
      drained.open();
    };

    const started = performance.now();
    pump();
    await sleep(settings.seconds * 1000, signal);
    sending = false;
    pump();
    await Promise.race([drained.promise, sleep(settings.drainMs, signal)]);
    stats.seconds = (performance.now() - started) / 1000;
    for (const verifier of verifiers) verifier.finish();
  }
  await pool.closeAll(settings.closeTimeoutMs);
}
