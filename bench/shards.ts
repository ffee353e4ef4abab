/**
 * `npm run bench:shards`: what spreading a room over objects costs. Two `wrangler dev`
 * on loopback, one with ROOM_SHARD_CONNECTIONS=--shard (the room spread over objects)
 * and one with the default (the same room in one object), take turns at the same
 * fan-out run, every delivery verified; prints a markdown table and the ratio.
 */
import { parseArgs } from "node:util";
import { type DevServer, startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { DEFAULTS } from "./args.ts";
import type { LoadSettings } from "./context.ts";
import { Progress } from "./progress.ts";
import { textReport } from "./report.ts";
import { type Plan, planDeadlineMs, runPlan } from "./runner.ts";
import type { Summary } from "./stats.ts";

const USAGE = `Usage: npm run bench:shards -- [--receivers N] [--senders S] [--shard M] [--seconds S] [--rounds R]

  --receivers N   receivers in the room (default 2000; wrangler dev needs ~5 fds per socket)
  --senders S     senders, spread among the receivers (default 4)
  --shard M       ROOM_SHARD_CONNECTIONS of the spread room (default 100)
  --seconds S     measured time per run (default 5)
  --rounds R      turns per server (default 3)
  --window W      messages in flight per sender (default 4)
`;
const STARTUP_ALLOWANCE_MS = 120_000;

const { values } = parseArgs({
  options: {
    receivers: { type: "string", default: "2000" },
    senders: { type: "string", default: "4" },
    shard: { type: "string", default: "100" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    window: { type: "string", default: "4" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [receivers, senders, shard, seconds, rounds, window] = [
  values.receivers,
  values.senders,
  values.shard,
  values.seconds,
  values.rounds,
  values.window,
].map(Number) as [number, number, number, number, number, number];
if (![receivers, senders, shard, seconds, rounds, window].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write(`bench:shards: every option must be a positive whole number\n\n${USAGE}`);
  process.exit(2);
}

const settings: LoadSettings = {
  ...DEFAULTS,
  seconds,
  receivers,
  senders,
  window,
  connections: null,
  size: 32,
  concurrency: 50,
  // 2,000 sockets take a while to close under wrangler dev; the next run waits for them.
  closeTimeoutMs: 10_000,
};
const objects = Math.ceil((receivers + senders) / shard);
const servers: DevServer[] = [];
const stopAll = () => Promise.allSettled(servers.map((server) => server.stop()));
process.once("SIGINT", async () => {
  await stopAll();
  process.exit(130);
});

let failed = true;
try {
  console.log(`starting two wrangler dev: ROOM_SHARD_CONNECTIONS=${shard}, and the default`);
  const spread = await startDevServer({ ...UNCAPPED_ROOMS, ROOM_SHARD_CONNECTIONS: String(shard) });
  servers.push(spread);
  const single = await startDevServer(UNCAPPED_ROOMS);
  servers.push(single);
  const plan: Plan = {
    scenarios: ["fanout"],
    targets: [
      { label: `${objects} objects`, url: new URL(`${spread.wsUrl}/ws`) },
      { label: "1 object", url: new URL(`${single.wsUrl}/ws`) },
    ],
    rounds,
    settings,
    connectTimeoutMs: 10_000,
  };
  const deadline = setTimeout(async () => {
    process.stderr.write("\nbench:shards: hard deadline reached; stopping\n");
    await stopAll();
    process.exit(3);
  }, planDeadlineMs(plan) + STARTUP_ALLOWANCE_MS);
  const [result] = await runPlan(plan, new Progress(process.stdout));
  clearTimeout(deadline);
  if (result === undefined) throw new Error("no result");
  console.log(`\n${textReport([result])}\n`);
  console.log(markdown(result.description, result.summaries));
  failed = result.summaries.some((s) => s.errorCount > 0);
} finally {
  await stopAll();
}
process.exitCode = failed ? 1 : 0;

function markdown(description: string, summaries: Summary[]): string {
  const ms = (us: number | null) => (us === null ? "-" : (us / 1000).toFixed(1));
  const rows = summaries.map((s) =>
    [
      s.target,
      Math.round(s.msgsPerSec).toLocaleString("en-US"),
      ms(s.latencyUs.p50),
      ms(s.latencyUs.p99),
      String(s.errors.losses),
      String(s.errorCount),
    ].join(" | "),
  );
  const [a, b] = summaries;
  const ratio = a !== undefined && b !== undefined && b.msgsPerSec > 0 ? (a.msgsPerSec / b.msgsPerSec).toFixed(2) : "-";
  return [
    `fanout: ${description}; ${rounds} turns of ${seconds} s each`,
    "",
    "| Room | deliveries/s | p50 ms | p99 ms | lost | errors |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map((row) => `| ${row} |`),
    "",
    `Deliveries per second, spread ÷ one object: ${ratio}x`,
  ].join("\n");
}
