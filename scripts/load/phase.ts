/**
 * What every load phase reports, and the time bound each one runs under.
 */
import type { Tally } from "./tally.ts";

export interface PhaseResult {
  name: string;
  /** Sockets that were open together at the phase's height. */
  sockets: number;
  tally: Tally;
  /** Wall time of the whole phase, handshakes included. */
  seconds: number;
  /** Seconds spent exchanging messages, for msgs/s. */
  messageSeconds: number;
  /** Strict phases fail the run on any failure; a capacity probe only reports where it stopped. */
  strict: boolean;
  /** Most sockets held open and echoing at once, where the phase probes it. */
  peakSockets?: number;
  note?: string;
}

/** Seconds since `start` (a `performance.now()` value). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** An absolute deadline (`Date.now()` ms) `seconds` from now. */
export function deadlineIn(seconds: number): number {
  return Date.now() + seconds * 1000;
}
