/**
 * The load run's figures as one compact table, plus any failures described.
 */
import { limitNote, type RunStats } from "../../bench/stats.ts";
import type { PhaseResult } from "./phase.ts";

const COLUMNS = ["phase", "sockets", "messages", "msgs/s", "p50 ms", "p99 ms", "errors", "peak", "seconds"] as const;

/** One row of figures per phase. */
export function rows(results: readonly PhaseResult[]): string[][] {
  return results.map(({ name, sockets, stats, seconds, peakSockets }) => {
    const rate = stats.seconds > 0 ? stats.messages / stats.seconds : 0;
    return [
      name,
      String(sockets),
      String(stats.messages),
      rate.toFixed(0),
      ms(stats.latency.percentile(50)),
      ms(stats.latency.percentile(99)),
      errors(stats),
      peakSockets === undefined ? "-" : String(peakSockets),
      seconds.toFixed(1),
    ];
  });
}

/** The table, then notes and failure samples, as printed lines. */
export function report(results: readonly PhaseResult[]): string {
  const table = [[...COLUMNS], ...rows(results)];
  const widths = COLUMNS.map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  ");
  const lines = table.map(line);
  lines.push(
    "errors: 0, or L lost / M mismatched / R reordered / E errors (failed handshakes, server closes, timeouts)",
  );
  for (const result of results) {
    if (result.note !== undefined) lines.push(`${result.name}: ${result.note}`);
    const limited = limitNote(result.stats.limited);
    if (limited !== null) lines.push(`${result.name}: LIMITED: ${limited}`);
    for (const sample of result.stats.samples) lines.push(`  ${result.strict ? "FAIL" : "limit"} ${sample}`);
  }
  return lines.join("\n");
}

/** `0`, or each kind of failure counted: bench's mismatches split into reorders and the rest. */
function errors(stats: RunStats): string {
  if (stats.errorCount === 0) return "0";
  const { losses, mismatches, unexpectedCloses, connectFailures, timeouts } = stats.errors;
  const other = unexpectedCloses + connectFailures + timeouts;
  return `${losses}L ${mismatches - stats.reorders}M ${stats.reorders}R ${other}E`;
}

/** A latency in µs, shown in ms. */
function ms(us: number | null): string {
  return us === null ? "-" : (us / 1000).toFixed(1);
}
