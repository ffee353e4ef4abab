/**
 * `npm run load`: a bounded load and fault run against the echo on loopback.
 * Starts its own `wrangler dev` unless given `--url`, runs three phases
 * (capacity, ordering, faults), prints one table, and exits non-zero on any
 * loss, mismatch, reorder or error in a strict phase.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";
import { capacity } from "./load/capacity.ts";
import { faults } from "./load/faults.ts";
import { ordering } from "./load/ordering.ts";
import type { PhaseResult } from "./load/phase.ts";
import { report } from "./load/report.ts";

/**
 * Never more sockets than this: `wrangler dev` holds ~5 file descriptors per socket
 * and every process is capped at 20,000 open files, so ~3,600 is all it can take.
 */
const MAX_SOCKETS = 3_600;
const BASELINE_SOCKETS = 2_000;
const RAMP_STEPS = [3_000, 3_500, MAX_SOCKETS];
/** Descriptors this process needs besides one per socket. */
const FD_HEADROOM = 200;
/** The whole run stops here even if a phase hangs. */
const RUN_DEADLINE_MS = 240_000;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

const USAGE = `usage: node scripts/load.ts [--url ws://127.0.0.1:PORT/ws] [--max-sockets N]
  --url          an echo endpoint on loopback (default: start wrangler dev on a free port)
  --max-sockets  ceiling of the capacity ramp, at most ${MAX_SOCKETS} (default ${MAX_SOCKETS})`;

const { values } = parseArgs({
  options: { url: { type: "string" }, "max-sockets": { type: "string" }, help: { type: "boolean" } },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const url = values.url;
if (url !== undefined && !isLoopback(url)) fail(`--url must be a ws:// URL on loopback, got ${url}`);
const requested = Number(values["max-sockets"] ?? MAX_SOCKETS);
if (!Number.isInteger(requested) || requested < BASELINE_SOCKETS) {
  fail(`--max-sockets must be an integer of at least ${BASELINE_SOCKETS}`);
}
const ceiling = Math.min(requested, MAX_SOCKETS, openFileLimit() - FD_HEADROOM);
const steps = RAMP_STEPS.map((step) => Math.min(step, ceiling)).filter(
  (step, i, all) => step > BASELINE_SOCKETS && all.indexOf(step) === i,
);

let server: DevServer | null = null;
const watchdog = setTimeout(async () => {
  console.error(`load: still running after ${RUN_DEADLINE_MS / 1000} s; stopping`);
  await server?.stop();
  process.exit(2);
}, RUN_DEADLINE_MS);
process.once("SIGINT", async () => {
  await server?.stop();
  process.exit(130);
});

const started = performance.now();
let target = url;
if (target === undefined) {
  console.log("load: starting wrangler dev on loopback...");
  server = await startDevServer();
  target = `${server.wsUrl}/ws`;
}
console.log(
  `load: ${target}, baseline ${BASELINE_SOCKETS} sockets, ramp ${steps.join(" -> ") || "none"}, open-file limit ${openFileLimit()}`,
);

const results: PhaseResult[] = [];
try {
  results.push(...(await capacity({ url: target, baseline: BASELINE_SOCKETS, steps })));
  results.push(await ordering(target, 100, 1_000));
  results.push(await faults(target, 20, 500, 300));
} finally {
  await server?.stop();
  clearTimeout(watchdog);
}

console.log(report(results));
const failed = results.filter((result) => result.strict && result.stats.errorCount > 0);
console.log(`load: ${failed.length === 0 ? "PASS" : "FAIL"} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed.length === 0 ? 0 : 1);

function isLoopback(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === "ws:" || parsed.protocol === "wss:") && LOOPBACK_HOSTS.has(parsed.hostname);
  } catch {
    return false;
  }
}

/** This process's soft cap on open files (one per socket here). */
function openFileLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((row) => row.startsWith("Max open files"));
  const soft = Number(line?.split(/\s{2,}/)[1]);
  return Number.isFinite(soft) ? soft : 1_024;
}

function fail(message: string): never {
  console.error(`load: ${message}\n${USAGE}`);
  process.exit(2);
}
