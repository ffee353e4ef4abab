/**
 * `npm run bench:limits`: what the per-address limits cost. Two `wrangler dev` on
 * loopback, one with `IP_LIMITS=on` (the default) and one with `IP_LIMITS=off`, take
 * turns (A B B A A B …) at the same work: joins to a fresh room, 20 at a time, each closed
 * after, each from an address of its own (`CF-Connecting-IP`, which wrangler dev takes
 * from the client), so every join on the limited server is one call to the binding and
 * stays below the limit. Prints the figures and the ratio on ÷ off; the target is ≥ 0.9x.
 * Then it checks that the limits were live: the 61st join from one address gets 429.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";
import { closeClient, openClient } from "../test/e2e/ws-client.ts";

/** wrangler.toml's UPGRADE_LIMITER: 60 per 10 s. */
const UPGRADE_LIMIT = 60;

const { values } = parseArgs({
  options: {
    joins: { type: "string", default: "300" },
    rounds: { type: "string", default: "6" },
    concurrency: { type: "string", default: "20" },
  },
});
const [joins, rounds, concurrency] = [Number(values.joins), Number(values.rounds), Number(values.concurrency)];
if (![joins, rounds, concurrency].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write("bench:limits: --joins, --rounds and --concurrency must be positive whole numbers\n");
  process.exit(2);
}

let addresses = 0;
/** An address no join of this run has used: 10.x.y.z, one per join. */
function nextAddress(): string {
  addresses++;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
}

/** Joins per second: `joins` sockets to a fresh room, `concurrency` at a time, each from its own address. */
async function joinRate(server: DevServer): Promise<number> {
  const room = `${server.wsUrl}/rooms/limits-${randomUUID()}`;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < joins) {
      next++;
      await closeClient(await openClient(room, { headers: { "CF-Connecting-IP": nextAddress() } }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return joins / ((performance.now() - started) / 1000);
}

/** Status of the join after `UPGRADE_LIMIT` from one address: 429 when the limit is live. */
async function overTheLimit(server: DevServer): Promise<string> {
  const room = `${server.wsUrl}/rooms/limits-${randomUUID()}`;
  const headers = { "CF-Connecting-IP": nextAddress() };
  for (let i = 0; i < UPGRADE_LIMIT; i++) await closeClient(await openClient(room, { headers }));
  try {
    await closeClient(await openClient(room, { headers }));
    return "101";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Where both servers keep their storage: in memory where the machine has it. wrangler dev
 * simulates the binding with a Durable Object writing each count to SQLite on disk, so on
 * a busy disk every join on the limited server would wait for a write that Cloudflare's
 * counters, kept in memory at each location, never make.
 */
const STORAGE_ROOT = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

const servers: DevServer[] = [];
const storage = await mkdtemp(join(STORAGE_ROOT, "edge-echo-bench-limits-"));
try {
  console.log(`starting two wrangler dev: IP_LIMITS=on, and IP_LIMITS=off (storage in ${STORAGE_ROOT})`);
  // Both as a bench needs them (no message-rate limit); only IP_LIMITS differs.
  const on = await startDevServer({ IP_LIMITS: "on" }, { persistTo: join(storage, "on") });
  servers.push(on);
  const off = await startDevServer({ IP_LIMITS: "off" }, { persistTo: join(storage, "off") });
  servers.push(off);
  const targets = [
    { label: "on", server: on },
    { label: "off", server: off },
  ] as const;

  const rates = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    // A B, then B A: neither server always follows the other.
    for (const { label, server } of round % 2 === 0 ? targets : [...targets].reverse()) {
      const rate = await joinRate(server);
      rates.set(label, [...(rates.get(label) ?? []), rate]);
      console.log(`joins, round ${round + 1}, limits ${label}: ${rate.toFixed(0)}/s`);
    }
  }
  const mean = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const [onRate, offRate] = [mean(rates.get("on")), mean(rates.get("off"))];
  const each = (label: string) => (rates.get(label) ?? []).map((rate) => rate.toFixed(0)).join(", ");
  console.log(`\n${joins} joins per turn (${concurrency} at a time, one address each); ${rounds} turns each\n`);
  console.log("| IP_LIMITS | joins/s (mean) | each turn |");
  console.log("|---|---:|---|");
  console.log(`| on | ${onRate.toFixed(0)} | ${each("on")} |`);
  console.log(`| off | ${offRate.toFixed(0)} | ${each("off")} |`);
  const ratio = onRate / offRate;
  // Each round's pair ran back to back, so its ratio is the least disturbed by the machine's other work.
  const offTurns = rates.get("off") ?? [];
  const pairs = (rates.get("on") ?? []).map((rate, i) => rate / (offTurns[i] ?? rate)).sort((a, b) => a - b);
  const median = pairs[Math.floor(pairs.length / 2)] ?? 0;
  console.log(
    `\non ÷ off: joins ${ratio.toFixed(2)}x (target ≥ 0.90x); median of the rounds' ratios ${median.toFixed(2)}x`,
  );

  const live = await overTheLimit(on);
  console.log(`limits on, join ${UPGRADE_LIMIT + 1} from one address: ${live}`);
  process.exitCode = live.includes("429") ? 0 : 1;
  if (process.exitCode !== 0)
    console.log("the limits were not live on the limited server: the figures measure nothing");
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
  await rm(storage, { recursive: true, force: true });
}
