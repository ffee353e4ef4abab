/**
 * Phase 1: many concurrent sockets, each echoing a few messages; then a ramp that
 * adds sockets step by step to find how many this machine holds open and echoing.
 */
import type { EchoSocket } from "./echo-socket.ts";
import { deadlineIn, type PhaseResult, secondsSince } from "./phase.ts";
import { closeSockets, eachLimited, openSockets } from "./pool.ts";
import { Tally } from "./tally.ts";

const ROUND_TRIPS_PER_SOCKET = 10;
const BASELINE_DEADLINE_S = 60;
const RAMP_STEP_DEADLINE_S = 30;

export interface CapacityOptions {
  url: string;
  /** Sockets that must all echo without a single failure. */
  baseline: number;
  /** Totals to ramp through after the baseline, ascending. */
  steps: readonly number[];
}

export async function capacity({ url, baseline, steps }: CapacityOptions): Promise<PhaseResult[]> {
  const tally = new Tally();
  const start = performance.now();
  const deadline = deadlineIn(BASELINE_DEADLINE_S);
  const sockets = await openSockets(url, 0, baseline, tally);
  const echoStart = performance.now();
  await eachLimited(sockets, sockets.length, async (socket) => {
    for (let i = 0; i < ROUND_TRIPS_PER_SOCKET && socket.open && Date.now() < deadline; i++) {
      socket.send(i % 2 === 1);
      await socket.drain(deadline);
    }
  });
  const messageSeconds = secondsSince(echoStart);
  for (const socket of sockets) socket.settle();
  const unsent = sockets.length * ROUND_TRIPS_PER_SOCKET - tally.sent;
  tally.fail("errors", `${unsent} messages unsent after ${BASELINE_DEADLINE_S} s: the phase timed out`, unsent);
  const results: PhaseResult[] = [
    {
      name: `${baseline} sockets x ${ROUND_TRIPS_PER_SOCKET} echoes`,
      sockets: sockets.length,
      tally,
      seconds: secondsSince(start),
      messageSeconds,
      strict: true,
    },
  ];
  if (sockets.length === baseline && tally.failureCount === 0) results.push(await ramp(url, sockets, steps));
  await closeSockets(sockets);
  return results;
}

/** Adds sockets up to each step; every open socket echoes one message per step. Stops at the first step that fails. */
async function ramp(url: string, sockets: EchoSocket[], steps: readonly number[]): Promise<PhaseResult> {
  const tally = new Tally();
  const start = performance.now();
  let messageSeconds = 0;
  let peak = sockets.length;
  let note = `held every step up to ${steps.at(-1) ?? peak}`;
  for (const target of steps) {
    const step = new Tally();
    for (const socket of sockets) socket.tally = step;
    sockets.push(...(await openSockets(url, sockets.length, target - sockets.length, step)));
    const deadline = deadlineIn(RAMP_STEP_DEADLINE_S);
    const echoStart = performance.now();
    for (const socket of sockets) socket.send(false);
    await eachLimited(sockets, sockets.length, (socket) => socket.drain(deadline));
    messageSeconds += secondsSince(echoStart);
    for (const socket of sockets) socket.settle();
    tally.sent += step.sent;
    tally.echoed += step.echoed;
    tally.rtts.push(...step.rtts);
    if (step.failureCount > 0 || sockets.length < target) {
      Object.assign(tally.failures, step.failures);
      tally.samples.push(...step.samples);
      note = `stopped at ${target}: ${step.samples[0] ?? "sockets did not open"}`;
      break;
    }
    peak = target;
  }
  return {
    name: `ramp to ${steps.at(-1) ?? peak} sockets`,
    sockets: sockets.length,
    tally,
    seconds: secondsSince(start),
    messageSeconds,
    strict: false,
    peakSockets: peak,
    note,
  };
}
