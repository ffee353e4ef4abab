/**
 * Phase 1: many concurrent sockets, each echoing a few messages; then a ramp that
 * adds sockets step by step to find how many this machine holds open and echoing.
 */
import { EchoChannel } from "../../bench/echo-channel.ts";
import { RunStats } from "../../bench/stats.ts";
import {
  CLOSE_TIMEOUT_MS,
  deadlineIn,
  drain,
  MESSAGE_BYTES,
  newPool,
  openChannels,
  type PhaseResult,
  secondsSince,
  settle,
} from "./phase.ts";

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
  const stats = new RunStats();
  const start = performance.now();
  const deadline = deadlineIn(BASELINE_DEADLINE_S);
  const pool = newPool(stats);
  const channels = await openChannels(pool, url, baseline);
  const echoStart = performance.now();
  await Promise.all(
    channels.map(async (channel) => {
      for (let i = 0; i < ROUND_TRIPS_PER_SOCKET && channel.socket.open && Date.now() < deadline; i++) {
        channel.send(MESSAGE_BYTES, i % 2 === 1 ? "binary" : "text");
        await drain(channel, deadline);
      }
    }),
  );
  stats.seconds = secondsSince(echoStart);
  settle(channels, ROUND_TRIPS_PER_SOCKET, stats, "timeouts", `the phase timed out after ${BASELINE_DEADLINE_S} s`);
  const results: PhaseResult[] = [
    {
      name: `${baseline} sockets x ${ROUND_TRIPS_PER_SOCKET} echoes`,
      sockets: channels.length,
      stats,
      seconds: secondsSince(start),
      strict: true,
    },
  ];
  if (channels.length === baseline && stats.errorCount === 0) results.push(await ramp(url, channels, steps));
  await pool.closeAll(CLOSE_TIMEOUT_MS);
  return results;
}

/** Adds sockets up to each step; every open socket echoes one message per step. Stops at the first step that fails. */
async function ramp(url: string, held: readonly EchoChannel[], steps: readonly number[]): Promise<PhaseResult> {
  // One tally for every step: the ramp stops at the first failure, so all it counts is that step's.
  const stats = new RunStats();
  const start = performance.now();
  const pool = newPool(stats);
  // The baseline's sockets stay open; from here on their echoes and closes count for the ramp.
  const channels = held.map((channel) => new EchoChannel(channel.socket, stats));
  let peak = channels.length;
  let note = `held every step up to ${steps.at(-1) ?? peak}`;
  for (const target of steps) {
    channels.push(...(await openChannels(pool, url, target - channels.length, channels.length)));
    const deadline = deadlineIn(RAMP_STEP_DEADLINE_S);
    const echoStart = performance.now();
    for (const channel of channels) channel.send(MESSAGE_BYTES, "text");
    await Promise.all(channels.map((channel) => drain(channel, deadline)));
    stats.seconds += secondsSince(echoStart);
    const allEchoed = channels.length === target && channels.every((channel) => channel.upToDate);
    if (!allEchoed || stats.errorCount > 0) {
      for (const channel of channels) channel.finish();
      note = `stopped at ${target}: ${stats.firstError ?? "sockets did not open"}`;
      break;
    }
    peak = target;
  }
  for (const channel of channels) channel.finish();
  await pool.closeAll(CLOSE_TIMEOUT_MS);
  return {
    name: `ramp to ${steps.at(-1) ?? peak} sockets`,
    sockets: channels.length,
    stats,
    seconds: secondsSince(start),
    strict: false,
    peakSockets: peak,
    note,
  };
}
