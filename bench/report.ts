/** The reports: an aligned table for people, markdown for files, one JSON line for scripts. */
import type { ScenarioResult } from "./runner.ts";
import { ERROR_KINDS, limitNote, type Summary } from "./stats.ts";

/** Each figure of a scenario on the first server divided by the same figure on the second. */
export interface Ratios {
  msgsPerSec: number | null;
  mbPerSec: number | null;
  latencyP50: number | null;
  latencyP90: number | null;
  latencyP99: number | null;
  latencyMax: number | null;
  connectP50: number | null;
}

const HEADER = [
  "scenario",
  "server",
  "sockets",
  "msgs",
  "msgs/s",
  "MB/s",
  "p50 µs",
  "p90 µs",
  "p99 µs",
  "max µs",
  "connect p50/p99 ms",
  "errors",
];

/** `a / b`, or null when either is missing or `b` is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

export function ratiosOf(a: Summary, b: Summary): Ratios {
  return {
    msgsPerSec: ratio(a.msgsPerSec, b.msgsPerSec),
    mbPerSec: ratio(a.mbPerSec, b.mbPerSec),
    latencyP50: ratio(a.latencyUs.p50, b.latencyUs.p50),
    latencyP90: ratio(a.latencyUs.p90, b.latencyUs.p90),
    latencyP99: ratio(a.latencyUs.p99, b.latencyUs.p99),
    latencyMax: ratio(a.latencyUs.max, b.latencyUs.max),
    connectP50: ratio(a.connectMs.p50, b.connectMs.p50),
  };
}

/** The table's rows: one per scenario and server, then the ratio A/B when there are exactly two servers. */
function rows(results: ScenarioResult[]): string[][] {
  const out: string[][] = [];
  for (const result of results) {
    for (const s of result.summaries) {
      out.push([
        s.scenario,
        s.target,
        count(s.sockets),
        count(s.messages),
        count(s.msgsPerSec),
        fixed(s.mbPerSec, 2),
        count(s.latencyUs.p50),
        count(s.latencyUs.p90),
        count(s.latencyUs.p99),
        count(s.latencyUs.max),
        `${fixed(s.connectMs.p50, 2)}/${fixed(s.connectMs.p99, 2)}`,
        count(s.errorCount),
      ]);
    }
    const [a, b] = result.summaries;
    if (a !== undefined && b !== undefined && result.summaries.length === 2) {
      const r = ratiosOf(a, b);
      out.push([
        result.scenario,
        `${a.target}/${b.target}`,
        "",
        "",
        times(r.msgsPerSec),
        times(r.mbPerSec),
        times(r.latencyP50),
        times(r.latencyP90),
        times(r.latencyP99),
        times(r.latencyMax),
        times(r.connectP50),
        "",
      ]);
    }
  }
  return out;
}

/** An aligned plain-text table, then one line per server that had errors. */
export function textReport(results: ScenarioResult[]): string {
  const table = [HEADER, ...rows(results)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  const lines = table.map((row) =>
    row
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  "),
  );
  return [...lines, "", ...errorLines(results)].join("\n");
}

/** The same table in markdown, with each scenario's description. */
export function markdownReport(results: ScenarioResult[], title: string): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const align = HEADER.map((_, column) => (column < 2 ? "---" : "---:"));
  const scenarios = results.map((result) => `- \`${result.scenario}\`: ${result.description}`);
  const errors = errorLines(results);
  return [
    `## ${title}`,
    "",
    ...scenarios,
    "",
    line(HEADER),
    line(align),
    ...rows(results).map(line),
    "",
    ...errors,
  ].join("\n");
}

/** One JSON object with every figure, for `--json`. */
export function jsonReport(results: ScenarioResult[], extra: Record<string, unknown>): string {
  const ok = results.every((result) => result.summaries.every((s) => s.errorCount === 0));
  return JSON.stringify({
    ok,
    ...extra,
    results: results.map((result) => {
      const [a, b] = result.summaries;
      const two = a !== undefined && b !== undefined && result.summaries.length === 2;
      return { ...result, ratio: two ? ratiosOf(a, b) : null };
    }),
  });
}

function errorLines(results: ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const s of results.flatMap((result) => result.summaries)) {
    if (s.errorCount === 0) continue;
    const kinds = ERROR_KINDS.filter((kind) => s.errors[kind] > 0).map((kind) => `${kind} ${s.errors[kind]}`);
    lines.push(`FAILED ${s.scenario} on ${s.target}: ${kinds.join(", ")}; first: ${s.firstError ?? "?"}`);
    const limited = limitNote(s.limited);
    if (limited !== null) lines.push(`LIMITED ${s.scenario} on ${s.target}: ${limited}`);
  }
  return lines.length === 0 ? ["every message verified: same bytes, same type, same order"] : lines;
}

function count(value: number | null): string {
  return value === null ? "-" : Math.round(value).toLocaleString("en-US");
}

function fixed(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

function times(value: number | null): string {
  return value === null ? "-" : `${value.toFixed(2)}x`;
}
