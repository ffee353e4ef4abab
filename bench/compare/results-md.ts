/** bench/RESULTS.md: the comparison tables, with when, where and how they were measured. */
import type { ScenarioResult } from "../runner.ts";
import type { Figure, Row } from "./rows.ts";

/** A row of the plan and what it measured; summaries in the order wrangler dev, workerd, Go. */
export interface Measured {
  row: Row;
  result: ScenarioResult;
}

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  os: string;
  node: string;
  go: string;
  wrangler: string;
  workerd: string;
}

export interface Results {
  machine: Machine;
  command: string;
  seconds: number;
  rounds: number;
  table: Measured[];
  fanout: Measured[];
}

export function renderResults(results: Results): string {
  const { machine } = results;
  return `# Performance: edge-echo against the Go reference

Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores shared with other work), ${machine.os},
Node ${machine.node}, ${machine.go}, wrangler ${machine.wrangler}, workerd ${machine.workerd}. Everything on loopback.

Command: \`${results.command}\`

Each run lasts ${results.seconds} s (the storm: until its sockets are open). The servers take turns
(wrangler dev, plain workerd, Go, and again, ${results.rounds} times; the storm once each) so that a
noisy machine slows them alike, and each figure merges the turns. Every message is verified (same bytes, type
and order). The ratio is the figure divided by Go's: for rates higher is better, for latencies
lower is better.

- **wrangler dev**: \`wrangler dev\` as a developer runs it; requests pass its proxy worker first.
- **plain workerd**: the bundle of \`wrangler deploy --dry-run\` run by workerd through Miniflare
  (the same workerd as wrangler dev, with wrangler.toml's bindings), without the proxy worker.
- **Go**: bench/go, gorilla/websocket echo (the original post's server, corrected).

| Figure | wrangler dev | ÷ Go | plain workerd | ÷ Go | Go (gorilla) |
|---|---:|---:|---:|---:|---:|
${results.table.flatMap(tableLines).join("\n")}

## Room fan-out

One sender and N receivers in a fresh room, 32 B messages alternating text and binary, 4 in flight
(a message is in flight until every receiver has it). Latency is from send to delivery. Every
receiver must get every message in order: \`lost\` must be 0.

| Receivers | Server | deliveries/s | p50 µs | p99 µs | lost | errors |
|---:|---|---:|---:|---:|---:|---:|
${results.fanout.flatMap(fanoutLines).join("\n")}

${verdict([...results.table, ...results.fanout])}
`;
}

function tableLines({ row, result }: Measured): string[] {
  const [dev, workerd, go] = result.summaries;
  return row.figures.map((figure) => {
    const cell = (summary: typeof dev) => (summary === undefined ? "n/a" : format(figure.value(summary), figure));
    const ratio = (summary: typeof dev) => {
      if (summary === undefined || go === undefined) return "n/a";
      const a = figure.value(summary);
      const b = figure.value(go);
      return a === null || b === null || b === 0 ? "-" : `${(a / b).toFixed(2)}x`;
    };
    return `| ${row.title}: ${figure.label} | ${cell(dev)} | ${ratio(dev)} | ${cell(workerd)} | ${ratio(workerd)} | ${cell(go)} |`;
  });
}

function fanoutLines({ row, result }: Measured): string[] {
  const receivers = (row.settings.receivers ?? 0).toLocaleString("en-US");
  return result.summaries.map((s) => {
    const cells = [
      receivers,
      s.target,
      number(s.msgsPerSec, 0),
      number(s.latencyUs.p50, 0),
      number(s.latencyUs.p99, 0),
      String(s.errors.losses),
      String(s.errorCount),
    ];
    return `| ${cells.join(" | ")} |`;
  });
}

function verdict(measured: Measured[]): string {
  const failed = measured.flatMap(({ result }) => result.summaries.filter((s) => s.errorCount > 0));
  if (failed.length === 0) return "Every message of every run was verified: no mismatch, loss or unexpected close.";
  const lines = failed.map(
    (s) => `- ${s.scenario} on ${s.target}: ${s.errorCount} errors; first: ${s.firstError ?? "?"}`,
  );
  return `**Verification failures:**\n\n${lines.join("\n")}`;
}

function format(value: number | null, figure: Figure): string {
  return number(value, figure.digits);
}

function number(value: number | null, digits: number): string {
  if (value === null) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
