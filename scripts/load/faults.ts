/**
 * Phase 3: clients killed mid-message (half a frame written, the first fragment
 * of a message, a large send cut short) while other sockets stream; the
 * survivors must see no error and lose nothing.
 */
import { encodeFrame, OP_BINARY, OP_TEXT } from "../../test/e2e/raw-frames.ts";
import { openRaw } from "../../test/e2e/raw-upgrade.ts";
import { EchoSocket } from "./echo-socket.ts";
import { deadlineIn, type PhaseResult, secondsSince } from "./phase.ts";
import { closeSockets, eachLimited, openSockets } from "./pool.ts";
import { Tally } from "./tally.ts";

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
  const tally = new Tally();
  const start = performance.now();
  const survivors = await openSockets(url, 0, survivorCount, tally);
  const deadline = deadlineIn(DEADLINE_S);
  const echoStart = performance.now();
  const streaming = eachLimited(survivors, survivors.length, async (socket) => {
    for (let seq = 0; seq < messagesEach && socket.open; seq++) {
      socket.send(seq % 2 === 0);
      if (seq % BATCH === BATCH - 1) await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS));
    }
    await socket.drain(deadline);
  });
  let cut = 0;
  const cutting = eachLimited(
    Array.from({ length: victims }, (_, i) => i),
    VICTIM_CONCURRENCY,
    async (i) => {
      if (await killMidMessage(url, CUTS[i % CUTS.length] ?? "half frame", survivorCount + i)) cut++;
    },
  );
  await Promise.all([streaming, cutting]);
  const messageSeconds = secondsSince(echoStart);
  const unsent = survivors.length * messagesEach - tally.sent;
  tally.fail("errors", `${unsent} messages unsent: survivors closed early`, unsent);
  await closeSockets(survivors);
  return {
    name: `${survivorCount} streaming, ${victims} killed`,
    sockets: survivors.length + victims,
    tally,
    seconds: secondsSince(start),
    messageSeconds,
    strict: true,
    note: `${cut}/${victims} clients cut mid-message (${CUTS.join(", ")})`,
  };
}

/** Opens a connection, leaves a message unfinished in the way `how` says, and cuts TCP. False if it never opened. */
async function killMidMessage(url: string, how: Cut, id: number): Promise<boolean> {
  try {
    if (how === "large send") {
      const socket = await EchoSocket.open(url, id, new Tally());
      if (socket === null) return false;
      socket.ws.send(Buffer.alloc(CUT_SEND_BYTES, id & 0xff));
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
