/**
 * What every load phase reports, the time bound each one runs under, and how a
 * phase opens, drains and settles its sockets (bench's pool and echo channel).
 */
import { EchoChannel } from "../../bench/echo-channel.ts";
import { SocketPool } from "../../bench/sockets.ts";
import type { ErrorCounts, RunStats } from "../../bench/stats.ts";

/** Every load message: bench's sequence header, then filler. */
export const MESSAGE_BYTES = 48;
/** How long closing waits for the server's answers before cutting the rest. */
export const CLOSE_TIMEOUT_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 20_000;
/** Handshakes in flight at once: enough to open thousands in seconds, few enough not to time out on 2 cores. */
const OPEN_CONCURRENCY = 64;
/** Opening is bounded by the handshake timeout and the run's watchdog; phases bound their messages with deadlines. */
const NEVER_ABORTED = new AbortController().signal;

export interface PhaseResult {
  name: string;
  /** Sockets that were open together at the phase's height. */
  sockets: number;
  /** Echoes verified and failures; its `seconds` are those spent exchanging messages, for msgs/s. */
  stats: RunStats;
  /** Wall time of the whole phase, handshakes included. */
  seconds: number;
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

/** Sockets whose failed handshakes and unexpected closes count in `stats`. */
export function newPool(stats: RunStats): SocketPool {
  return new SocketPool(stats, NEVER_ABORTED, HANDSHAKE_TIMEOUT_MS);
}

/** Opens sockets `socket first` .. `socket first+count-1`, each with an echo channel counting where its pool does. */
export async function openChannels(pool: SocketPool, url: string, count: number, first = 0): Promise<EchoChannel[]> {
  const sockets = await pool.openMany(url, count, OPEN_CONCURRENCY, "socket", first);
  return sockets.map((socket) => new EchoChannel(socket, socket.stats));
}

/** Resolves when every echo `channel` awaits is in, its socket is gone, or `deadline` passes. */
export async function drain(channel: EchoChannel, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  await Promise.race([channel.settled(), late]);
  clearTimeout(timer);
}

/**
 * Ends a phase's checks: what never came back counts as lost, and what a socket
 * never got to send of its `perSocket` messages counts in `stats` as `kind`, for `why`.
 */
export function settle(
  channels: readonly EchoChannel[],
  perSocket: number,
  stats: RunStats,
  kind: keyof ErrorCounts,
  why: string,
): void {
  let unsent = channels.length * perSocket;
  for (const channel of channels) {
    channel.finish();
    unsent -= channel.sent;
  }
  stats.fail(kind, `${unsent} messages unsent: ${why}`, unsent);
}
