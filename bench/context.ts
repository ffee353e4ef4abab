/** What a scenario gets to run with, and the timing helpers every scenario shares. */
import type { SocketPool } from "./sockets.ts";
import type { RunStats } from "./stats.ts";

/** The settings a scenario reads; `null` means "the scenario's default". */
export interface LoadSettings {
  /** Measured sending time, seconds. */
  seconds: number;
  connections: number | null;
  window: number | null;
  size: number | null;
  sockets: number;
  concurrency: number;
  holdMs: number;
  receivers: number;
  /** Fan-out: members sending, each its own stream. */
  senders: number;
  /** How long to wait for messages still in flight after sending stops. */
  drainMs: number;
  /** How long to wait for close answers before cutting sockets. */
  closeTimeoutMs: number;
}

export interface RunContext {
  /** The target's URL as given (`ws:` or `wss:`). */
  readonly url: URL;
  readonly settings: LoadSettings;
  readonly stats: RunStats;
  readonly pool: SocketPool;
  /** Aborted when the run's hard deadline passes. */
  readonly signal: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` aborts; never keeps a timer alive past either. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** A promise with its resolve function outside, for "wake me when drained" signals. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
