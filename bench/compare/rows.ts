/** The figures of the performance table: which scenario each comes from, with which settings. */
import type { LoadSettings } from "../context.ts";
import type { ScenarioName } from "../scenarios/index.ts";
import type { Summary } from "../stats.ts";

export interface Figure {
  /** The row's label, unit included. */
  label: string;
  value: (summary: Summary) => number | null;
  /** Rates: higher is better. Latencies: lower is better. */
  higherIsBetter: boolean;
  digits: number;
}

export interface Row {
  /** What the run is, for the table's first column. */
  title: string;
  scenario: ScenarioName;
  settings: Partial<LoadSettings>;
  /** False for rooms: the Go reference has none. */
  withGo: boolean;
  figures: Figure[];
}

const KIB = 1024;

export const msgsPerSec = (label: string): Figure => ({
  label,
  value: (s) => s.msgsPerSec,
  higherIsBetter: true,
  digits: 0,
});
export const mbPerSec: Figure = { label: "MB/s", value: (s) => s.mbPerSec, higherIsBetter: true, digits: 1 };
export const latency = (percentile: "p50" | "p99", label = `${percentile} µs`): Figure => ({
  label,
  value: (s) => s.latencyUs[percentile],
  higherIsBetter: false,
  digits: 0,
});
export const errors: Figure = { label: "errors", value: (s) => s.errorCount, higherIsBetter: false, digits: 0 };
export const losses: Figure = { label: "lost", value: (s) => s.errors.losses, higherIsBetter: false, digits: 0 };

/** The echo rows; the storm and fan-out rows depend on the command line. */
export function echoRows(): Row[] {
  return [
    {
      title: "1 conn, 32 B text, 1 in flight",
      scenario: "pingpong",
      settings: { size: 32 },
      withGo: true,
      figures: [latency("p50", "RTT p50 µs"), latency("p99", "RTT p99 µs")],
    },
    {
      title: "50 conns, 32 B text, 1 in flight each",
      scenario: "connections",
      settings: { connections: 50, window: 1, size: 32 },
      withGo: true,
      figures: [msgsPerSec("msgs/s")],
    },
    {
      title: "64 KiB binary, 1 conn, 8 in flight",
      scenario: "throughput",
      settings: { connections: 1, window: 8, size: 64 * KIB },
      withGo: true,
      figures: [mbPerSec],
    },
    {
      title: "1 MiB binary, 1 conn, 4 in flight",
      scenario: "throughput",
      settings: { connections: 1, window: 4, size: KIB * KIB },
      withGo: true,
      figures: [mbPerSec],
    },
  ];
}

export function stormRow(sockets: number, seconds: number): Row {
  return {
    title: `storm of ${sockets.toLocaleString("en-US")} sockets, 50 handshakes at a time`,
    scenario: "storm",
    settings: { sockets, concurrency: 50, holdMs: 1000, size: 32, seconds },
    withGo: true,
    figures: [msgsPerSec("sockets/s"), errors],
  };
}

export function fanoutRow(receivers: number): Row {
  return {
    title: `room fan-out to ${receivers.toLocaleString("en-US")} receivers, 32 B, 4 in flight`,
    scenario: "fanout",
    settings: { receivers, concurrency: 50, window: 4, size: 32 },
    withGo: false,
    figures: [msgsPerSec("deliveries/s"), latency("p50"), latency("p99"), losses],
  };
}
