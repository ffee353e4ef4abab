/**
 * Phase 2: sockets that pipeline many mixed text and binary messages without
 * waiting for echoes; every echo must come back whole, with its type, in order.
 */
import { type PhaseResult, secondsSince } from "./phase.ts";
import { stream } from "./streaming.ts";

const DEADLINE_S = 60;
/** Messages handed to one socket per turn of the event loop, so echoes are read while others are sent. */
const SEND_BATCH = 50;

export async function ordering(url: string, socketCount: number, messagesPerSocket: number): Promise<PhaseResult> {
  const start = performance.now();
  const { stats, opened } = await stream(url, {
    sockets: socketCount,
    messagesEach: messagesPerSocket,
    // Types mixed irregularly, so a per-type queue anywhere would show as reordering.
    kindOf: (seq, id) => ((seq * 7 + id) % 3 === 0 ? "binary" : "text"),
    batch: SEND_BATCH,
    pause: () => new Promise((resolve) => setImmediate(resolve)),
    deadlineS: DEADLINE_S,
  });
  return {
    name: `${socketCount} sockets x ${messagesPerSocket} pipelined`,
    sockets: opened,
    stats,
    seconds: secondsSince(start),
    strict: true,
  };
}
