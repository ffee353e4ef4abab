/**
 * Phase 3: clients killed mid-message (half a frame written, the first fragment
 * of a message, a large send cut short) while other sockets stream; the
 * survivors must see no error and lose nothing.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { SocketPool } from "../../bench/sockets.ts";
import { RunStats } from "../../bench/stats.ts";
import { encodeFrame, OP_BINARY, OP_TEXT } from "../../test/e2e/raw-frames.ts";
import { openRaw } from "../../test/e2e/raw-upgrade.ts";
import { newPool, type PhaseResult, secondsSince } from "./phase.ts";
import { type Streaming, stream } from "./streaming.ts";

const DEADLINE_S = 60;
const VICTIM_CONCURRENCY = 16;
/** Survivors send in small batches with pauses, so they are mid-stream for the whole phase. */
const BATCH = 20;
const BATCH_PAUSE_MS = 10;
const CUT_SEND_BYTES = 256 * 1024;

type Cut = "half frame" | "first fragment" | "large send";
const CUTS: readonly Cut[] = ["half frame", "first fragment", "large send"];

export async function faults(
  url: string,
  survivorCount: number,
  messagesEach: number,
  victims: number,
): Promise<PhaseResult> {
  const start = performance.now();
  // Victims count nowhere: whatever happens to them, only the survivors must be unharmed.
  const victimPool = newPool(new RunStats());
  let cut = 0;
  const killVictims = async () => {
    const lanes = Array.from({ length: VICTIM_CONCURRENCY }, async (_, lane) => {
      for (let i = lane; i < victims; i += VICTIM_CONCURRENCY) {
        if (await killMidMessage(url, victimPool, CUTS[i % CUTS.length] ?? "half frame", survivorCount + i)) cut++;
      }
    });
    await Promise.all(lanes);
  };
  const survivors: Streaming = {
    sockets: survivorCount,
    messagesEach,
    kindOf: (seq) => (seq % 2 === 0 ? "binary" : "text"),
    batch: BATCH,
    pause: () => delay(BATCH_PAUSE_MS),
    deadlineS: DEADLINE_S,
  };
  const { stats, opened } = await stream(url, survivors, killVictims);
  victimPool.terminateAll();
  return {
    name: `${survivorCount} streaming, ${victims} killed`,
    sockets: opened + victims,
    stats,
    seconds: secondsSince(start),
    strict: true,
    note: `${cut}/${victims} clients cut mid-message (${CUTS.join(", ")})`,
  };
}

/** Opens a connection, leaves a message unfinished in the way `how` says, and cuts TCP. False if it never opened. */
async function killMidMessage(url: string, pool: SocketPool, how: Cut, id: number): Promise<boolean> {
  try {
    if (how === "large send") {
      const socket = await pool.open(url, `victim ${id}`);
      if (socket === null) return false;
      socket.send(Buffer.alloc(CUT_SEND_BYTES, id & 0xff), true);
      socket.closing = true;
      socket.ws.terminate();
      return true;
    }
    const raw = await openRaw(url, { path: new URL(url).pathname });
    if (how === "half frame") {
      const frame = encodeFrame(OP_TEXT, "x".repeat(4_000));
      raw.writeRaw(frame.subarray(0, frame.length >> 1));
    } else raw.send(OP_BINARY, Buffer.alloc(1_000, 7), { fin: false });
    raw.destroy();
    return true;
  } catch {
    return false;
  }
}
