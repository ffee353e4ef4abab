/**
 * Phase 2: sockets that pipeline many mixed text and binary messages without
 * waiting for echoes; every echo must come back whole, with its type, in order.
 */
import { deadlineIn, type PhaseResult, secondsSince } from "./phase.ts";
import { closeSockets, eachLimited, openSockets } from "./pool.ts";
import { Tally } from "./tally.ts";

const DEADLINE_S = 60;
/** Messages handed to one socket per turn of the event loop, so echoes are read while others are sent. */
const SEND_BATCH = 50;

export async function ordering(url: string, socketCount: number, messagesPerSocket: number): Promise<PhaseResult> {
  const tally = new Tally();
  const start = performance.now();
  const sockets = await openSockets(url, 0, socketCount, tally);
  const deadline = deadlineIn(DEADLINE_S);
  const echoStart = performance.now();
  await eachLimited(sockets, sockets.length, async (socket) => {
    for (let seq = 0; seq < messagesPerSocket && socket.open; seq++) {
      // Types mixed irregularly, so a per-type queue anywhere would show as reordering.
      socket.send((seq * 7 + socket.id) % 3 === 0);
      if (seq % SEND_BATCH === SEND_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await socket.drain(deadline);
  });
  const messageSeconds = secondsSince(echoStart);
  const unsent = sockets.length * messagesPerSocket - tally.sent;
  tally.fail("errors", `${unsent} messages unsent: sockets closed early`, unsent);
  await closeSockets(sockets);
  return {
    name: `${socketCount} sockets x ${messagesPerSocket} pipelined`,
    sockets: sockets.length,
    tally,
    seconds: secondsSince(start),
    messageSeconds,
    strict: true,
  };
}
