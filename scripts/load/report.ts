/**
 * The load run's figures as one compact table, plus any failures described.
 */
import type { PhaseResult } from "./phase.ts";
import { percentile } from "./tally.ts";

const COLUMNS = ["phase", "sockets", "messages", "msgs/s", "p50 ms", "p99 ms", "errors", "peak", "seconds"] as const;

/** One row of figures per phase. */
export function rows(results: readonly PhaseResult[]): string[][] {
  return results.map((result) => {
    const { tally } = result;
    const { lost, mismatched, reordered, errors } = tally.failures;
    const rate = result.messageSeconds > 0 ? tally.echoed / result.messageSeconds : 0;
    return [
      result.name,
      String(result.sockets),
      String(tally.echoed),
      rate.toFixed(0),
      fixed(percentile(tally.rtts, 50)),
      fixed(percentile(tally.rtts, 99)),
      lost + mismatched + reordered + errors === 0 ? "0" : `${lost}L ${mismatched}M ${reordered}R ${errors}E`,
      result.peakSockets === undefined ? "-" : String(result.peakSockets),
      result.seconds.toFixed(1),
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
  const lines = [line(table[0] ?? []), ...table.slice(1).map(line)];
  lines.push(
    "errors: 0, or L lost / M mismatched / R reordered / E errors (failed handshakes, server closes, timeouts)",
  );
  for (const result of results) {
    if (result.note !== undefined) lines.push(`${result.name}: ${result.note}`);
    for (const sample of result.tally.samples) lines.push(`  ${result.strict ? "FAIL" : "limit"} ${sample}`);
  }
  return lines.join("\n");
}

function fixed(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
}
