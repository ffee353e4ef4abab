/**
 * Room fan-out: N receivers and S senders join a fresh room; each sender keeps W
 * messages in flight (a message is in flight until every receiver has it), and
 * every receiver must get every sender's messages, intact and in that sender's order.
 * The senders join spread among the receivers, so in a room of many objects they
 * sit in different objects. A target URL with `?history=N` makes the receivers positioned
 * members (envelopes, unwrapped before they are verified); the senders join plain.
 */
import { randomUUID } from "node:crypto";
import { latch, type RunContext, sleep } from "../context.ts";
import { EnvelopeReader } from "../envelopes.ts";
import { readStream } from "../payload.ts";
import type { BenchSocket } from "../sockets.ts";
import { SentLog, StreamVerifier } from "../verify.ts";

export interface Fanout {
  receivers: number;
  senders: number;
  concurrency: number;
  window: number;
  size: number;
}

/** `/rooms/bench-<uuid>` on the origin of `url`, with its query: a room nobody else is in. */
export function freshRoomUrl(url: URL): URL {
  const room = new URL(`/rooms/bench-${randomUUID()}`, url);
  // The target's query comes along: a private room's `?token=`.
  room.search = url.search;
  return room;
}

export async function runFanout(ctx: RunContext, fanout: Fanout): Promise<void> {
  const { pool, settings, signal, stats } = ctx;
  const url = freshRoomUrl(ctx.url);
  const positioned = url.searchParams.has("history");
  const receiverRoom = url.href;
  url.searchParams.delete("history");
  const room = url.href;
  const receivers: BenchSocket[] = [];
  const senders: BenchSocket[] = [];
  // Each sender joins after its share of the receivers.
  for (let s = 0; s < fanout.senders && !signal.aborted; s++) {
    const share = Math.floor((fanout.receivers * (s + 1)) / fanout.senders) - receivers.length;
    receivers.push(...(await pool.openMany(receiverRoom, share, fanout.concurrency, "receiver", receivers.length)));
    const sender = await pool.open(room, `sender ${s}`);
    if (sender !== null) senders.push(sender);
  }
  if (senders.length === fanout.senders && receivers.length > 0 && !signal.aborted) {
    const logs = senders.map((_, s) => new SentLog(receivers.length, s));
    const drained = latch();
    let sending = true;
    const pump = () => {
      for (const [s, sender] of senders.entries()) {
        const log = logs[s];
        while (log !== undefined && sending && log.inFlight < fanout.window && sender.open) {
          const message = log.next(fanout.size, log.sent % 2 === 0 ? "text" : "binary");
          sender.send(message.bytes, message.binary);
        }
      }
      if (!sending && logs.every((log) => log.inFlight === 0)) drained.open();
    };
    const verifiers = receivers.map((receiver) => {
      const mine = logs.map((log) => new StreamVerifier(log, stats, `${receiver.name} from sender ${log.stream}`));
      const envelopes = positioned ? new EnvelopeReader() : null;
      receiver.onMessage = (frame, frameBinary, now) => {
        let [data, binary] = [frame, frameBinary];
        if (envelopes !== null) {
          const read = envelopes.read(frame, frameBinary);
          if (read.kind === "joined") return;
          if (read.kind === "bad") {
            stats.fail("mismatches", `${receiver.name}: ${read.problem}`);
            return;
          }
          [data, binary] = [read.data, read.binary];
        }
        const verifier = mine[readStream(data) ?? -1];
        if (verifier === undefined)
          stats.fail("mismatches", `${receiver.name}: a message of ${data.length} bytes from no sender of this run`);
        else verifier.receive(data, binary, now);
        pump();
      };
      // A receiver that is gone stops holding the windows open.
      receiver.onLost = () => {
        for (const verifier of mine) verifier.finish();
        pump();
      };
      return mine;
    });
    for (const [s, sender] of senders.entries()) {
      // Senders hear each other (not checked here) but never themselves: they joined without ?echo=1.
      sender.onMessage = (data) => {
        if (readStream(data) === s)
          stats.fail("mismatches", `sender ${s}: the room sent its own message back without ?echo=1`);
      };
      sender.onLost = () => {
        sending = false;
        drained.open();
      };
    }

    const started = performance.now();
    pump();
    await sleep(settings.seconds * 1000, signal);
    sending = false;
    pump();
    await Promise.race([drained.promise, sleep(settings.drainMs, signal)]);
    stats.seconds = (performance.now() - started) / 1000;
    for (const verifier of verifiers.flat()) verifier.finish();
  }
  await pool.closeAll(settings.closeTimeoutMs);
}
