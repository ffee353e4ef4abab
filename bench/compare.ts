/**
 * `npm run bench:compare`: measures edge-echo under `wrangler dev`, the same
 * Worker under plain workerd, and the Go reference server, interleaved, and
 * writes the tables to bench/RESULTS.md. Starts and stops every server itself.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type DevServer, startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { machine } from "./compare/machine.ts";
import { type Measured, renderResults } from "./compare/results-md.ts";
import { echoRows, fanoutRow, type Row, stormRow } from "./compare/rows.ts";
import { buildGoServer, type Server, startGoServer, startPlainWorkerd } from "./compare/servers.ts";
import type { LoadSettings } from "./context.ts";
import { Progress } from "./progress.ts";
import { textReport } from "./report.ts";
import { type Plan, planDeadlineMs, runPlan, type Target } from "./runner.ts";

const ROOT = resolve(import.meta.dirname, "..");
const USAGE = `Usage: npm run bench:compare -- [--seconds S] [--rounds R] [--storm N] [--fanout N,N,...] [--out FILE]

  --seconds S     measured time per run (default 3)
  --rounds R      turns per server (default 2)
  --storm N       sockets in the storm row (default 2000; wrangler dev needs ~5 fds per socket)
  --fanout LIST   receivers for the fan-out table (default 10,100,1000); 100 also goes in the main table
  --out FILE      where to write the markdown (default bench/RESULTS.md)
`;
/** The storm stops opening sockets after this long, whatever --seconds says. */
const STORM_SECONDS = 30;
const STARTUP_ALLOWANCE_MS = 180_000;

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
    storm: { type: "string", default: "2000" },
    fanout: { type: "string", default: "10,100,1000" },
    out: { type: "string", default: resolve(ROOT, "bench/RESULTS.md") },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const stormSockets = Number(values.storm);
const fanoutSizes = values.fanout.split(",").map(Number);
if (![seconds, rounds, stormSockets, ...fanoutSizes].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write(`bench:compare: every option must be a positive number\n\n${USAGE}`);
  process.exit(2);
}

const base: LoadSettings = {
  seconds,
  connections: null,
  window: null,
  size: null,
  sockets: stormSockets,
  concurrency: 50,
  holdMs: 1000,
  receivers: 10,
  senders: 1,
  drainMs: 5_000,
  closeTimeoutMs: 2_000,
};
const tableRows: Row[] = [...echoRows(), stormRow(stormSockets, STORM_SECONDS)];
const fanoutRows = fanoutSizes.map(fanoutRow);

/** Go has no rooms: rows without it run on the first two targets only. */
function targetsFor(row: Row, targets: Target[]): Target[] {
  return row.withGo ? targets : targets.slice(0, 2);
}

function planFor(row: Row, targets: Target[]): Plan {
  // One storm round per server: each already opens thousands of sockets.
  const planRounds = row.scenario === "storm" ? 1 : rounds;
  return {
    scenarios: [row.scenario],
    targets,
    rounds: planRounds,
    settings: { ...base, ...row.settings },
    connectTimeoutMs: 10_000,
  };
}

const servers: (DevServer | Server)[] = [];
const stopAll = () => Promise.allSettled(servers.map((server) => server.stop()));
// The last resort, sized for every run hitting its own deadline: stops the servers
// (wrangler dev runs in its own process group, so exiting alone would leave it running).
const anyTargets: Target[] = ["a", "b", "c"].map((label) => ({ label, url: new URL("ws://127.0.0.1/") }));
const deadlineMs = [...tableRows, ...fanoutRows].reduce(
  (sum, row) => sum + planDeadlineMs(planFor(row, targetsFor(row, anyTargets))),
  STARTUP_ALLOWANCE_MS,
);
const watchdog = setTimeout(async () => {
  process.stderr.write(`\nbench:compare: hard deadline of ${Math.round(deadlineMs / 1000)} s reached; stopping\n`);
  await stopAll();
  process.exit(3);
}, deadlineMs);
process.once("SIGINT", async () => {
  await stopAll();
  process.exit(130);
});

let failed = false;
try {
  console.log("building the Go server (npm run bench:go)");
  buildGoServer();
  console.log("starting the Go server, plain workerd and wrangler dev");
  const go = await startGoServer();
  servers.push(go);
  const workerd = await startPlainWorkerd();
  servers.push(workerd);
  const dev = await startDevServer(UNCAPPED_ROOMS);
  servers.push(dev);
  const targets: Target[] = [
    { label: "wrangler dev", url: new URL(`${dev.wsUrl}/ws`) },
    { label: "plain workerd", url: workerd.wsUrl },
    { label: "Go", url: go.wsUrl },
  ];

  const progress = new Progress(process.stdout);
  const measure = async (rows: Row[]): Promise<Measured[]> => {
    const measured: Measured[] = [];
    for (const row of rows) {
      const [result] = await runPlan(planFor(row, targetsFor(row, targets)), progress);
      if (result === undefined) throw new Error(`no result for ${row.title}`);
      console.log(`${row.title}: done`);
      measured.push({ row, result });
    }
    return measured;
  };
  const table = await measure(tableRows);
  const fanout = await measure(fanoutRows);
  const fanoutInTable = fanout.find((m) => m.row.settings.receivers === 100) ?? fanout[0];
  if (fanoutInTable !== undefined) table.push(fanoutInTable);

  const all = [...table, ...fanout.filter((m) => m !== fanoutInTable)].map((m) => m.result);
  console.log(`\n${textReport(all)}`);
  const args = process.argv.slice(2).join(" ");
  const command = `npm run bench:compare${args === "" ? "" : ` -- ${args}`}`;
  writeFileSync(values.out, renderResults({ machine: machine(), command, seconds, rounds, table, fanout }));
  console.log(`wrote ${values.out}`);
  failed = all.some((result) => result.summaries.some((s) => s.errorCount > 0));
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
process.exitCode = failed ? 1 : 0;
