/**
 * What one scenario run measured, and the summary figures the reports print.
 * Rounds against the same target are merged before summarizing.
 */
import { Histogram } from "./histogram.ts";

/** Everything that makes a run fail. Any non-zero count makes the exit status non-zero. */
export interface ErrorCounts {
  /** Wrong bytes, wrong type, out of order, duplicated, or not something we sent. */
  mismatches: number;
  /** Sent but never received (by the sender for echo, by a receiver for fan-out). */
  losses: number;
  /** Closed or errored by the server or the network before we closed it. */
  unexpectedCloses: number;
  /** Handshakes refused, failed or timed out. */
  connectFailures: number;
  /** Runs cut short by their hard deadline. */
  timeouts: number;
}

export const ERROR_KINDS = ["mismatches", "losses", "unexpectedCloses", "connectFailures", "timeouts"] as const;

/**
 * Failures that are the server's limits, not its speed: handshakes refused with 429 (its
 * per-address limits) and sockets closed 1008 for their message rate. They are errors too
 * (counted in `connectFailures` and `unexpectedCloses`), but the report names them apart.
 */
export interface LimitCounts {
  /** Handshakes answered `429 Too Many Requests`. */
  refused429: number;
  /** Sockets closed with 1008 `rate limit: …`. */
  rateCloses: number;
}

/** Errors described and kept, to point at the cause; the rest are only counted. */
const MAX_SAMPLES = 5;

/** Mutable counters for one run (or, merged, for all rounds of a scenario against one target). */
export class RunStats {
  /** Messages received and verified (echoes, or fan-out deliveries). */
  messages = 0;
  /** Payload bytes of those messages. */
  bytes = 0;
  /** Sockets that completed their handshake. */
  sockets = 0;
  /** Length of the measured phase, in seconds. */
  seconds = 0;
  /** Round trip (echo) or send-to-delivery (fan-out) time, µs. */
  readonly latency = new Histogram();
  /** Handshake time, µs. */
  readonly connect = new Histogram();
  readonly errors: ErrorCounts = { mismatches: 0, losses: 0, unexpectedCloses: 0, connectFailures: 0, timeouts: 0 };
  /** Of the mismatches, messages that came back intact but after later ones. */
  reorders = 0;
  /** Of the failures, those the server's limits caused. */
  readonly limited: LimitCounts = { refused429: 0, rateCloses: 0 };
  /** The first few errors, described. */
  readonly samples: string[] = [];

  /** Counts `count` errors of `kind`; keeps the description if it is among the first few. */
  fail(kind: keyof ErrorCounts, description: string, count = 1): void {
    if (count <= 0) return;
    this.errors[kind] += count;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(description);
  }

  /** Counts an intact message that came after later ones: a mismatch, also counted apart. */
  reordered(description: string): void {
    this.reorders++;
    this.fail("mismatches", description);
  }

  /** The first error, described, or `null` if there was none. */
  get firstError(): string | null {
    return this.samples[0] ?? null;
  }

  get errorCount(): number {
    return ERROR_KINDS.reduce((sum, kind) => sum + this.errors[kind], 0);
  }

  merge(other: RunStats): void {
    this.messages += other.messages;
    this.bytes += other.bytes;
    this.sockets += other.sockets;
    this.seconds += other.seconds;
    this.latency.merge(other.latency);
    this.connect.merge(other.connect);
    for (const kind of ERROR_KINDS) this.errors[kind] += other.errors[kind];
    this.reorders += other.reorders;
    this.limited.refused429 += other.limited.refused429;
    this.limited.rateCloses += other.limited.rateCloses;
    this.samples.push(...other.samples.slice(0, MAX_SAMPLES - this.samples.length));
  }
}

/** The figures of one scenario against one target: what the table, JSON and ratios show. */
export interface Summary {
  scenario: string;
  target: string;
  url: string;
  rounds: number;
  seconds: number;
  sockets: number;
  messages: number;
  bytes: number;
  msgsPerSec: number;
  mbPerSec: number;
  /** Latency percentiles in µs (round trip, or delivery for fan-out); null without samples. */
  latencyUs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Handshake time in ms. */
  connectMs: { p50: number | null; p99: number | null };
  errors: ErrorCounts;
  /** Of the errors, those the server's limits caused (429 handshakes, 1008 rate-limit closes). */
  limited: LimitCounts;
  errorCount: number;
  firstError: string | null;
}

/** One line saying how the server's limits cut a run short, or null when they did not. */
export function limitNote(limited: LimitCounts): string | null {
  const parts: string[] = [];
  if (limited.refused429 > 0)
    parts.push(
      `${plural(limited.refused429, "handshake")} refused with 429 by its per-address limits (serve it with IP_LIMITS=off to measure it)`,
    );
  if (limited.rateCloses > 0)
    parts.push(
      `${plural(limited.rateCloses, "socket")} closed 1008 for ${limited.rateCloses === 1 ? "its" : "their"} message rate (serve it with MAX_MESSAGES_PER_SECOND=0)`,
    );
  return parts.length === 0
    ? null
    : `the server limited this run, so its figures are not its speed: ${parts.join("; ")}`;
}

/** Turns merged counters into figures; rates are per second of measured time. */
export function summarize(scenario: string, target: string, url: string, rounds: number, stats: RunStats): Summary {
  const perSecond = (n: number) => (stats.seconds > 0 ? n / stats.seconds : 0);
  const us = (p: number) => rounded(stats.latency.percentile(p), 0);
  const ms = (p: number) => {
    const value = stats.connect.percentile(p);
    return value === null ? null : rounded(value / 1000, 2);
  };
  return {
    scenario,
    target,
    url,
    rounds,
    seconds: rounded(stats.seconds, 3) ?? 0,
    sockets: stats.sockets,
    messages: stats.messages,
    bytes: stats.bytes,
    msgsPerSec: rounded(perSecond(stats.messages), 1) ?? 0,
    mbPerSec: rounded(perSecond(stats.bytes) / 1e6, 3) ?? 0,
    latencyUs: { p50: us(50), p90: us(90), p99: us(99), max: us(100) },
    connectMs: { p50: ms(50), p99: ms(99) },
    errors: { ...stats.errors },
    limited: { ...stats.limited },
    errorCount: stats.errorCount,
    firstError: stats.firstError,
  };
}

function rounded(value: number | null, digits: number): number | null {
  if (value === null) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
