/**
 * `npm run bench:presence`: what presence costs a join, in rooms of two sizes over 10
 * objects each (one `wrangler dev` per size on loopback, ROOM_SHARD_CONNECTIONS = members
 * / 10): 100 members (10 a object) and 1,000 (100 a object). Turns alternate, over both
 * sizes, between joining a fresh room with every member on `presence=1` (each gets a
 * snapshot, and every later join), every member on `presence=batch` (the same, with the
 * joins that come together in one frame), with one watcher and the others identified only
 * (the bookkeeping alone), and without (all positioned, all with `?client=`), and the join
 * rates are compared. A turn ends when the last member is in and every watcher has had
 * every join it is to get, so announcements that trail the joins count too. Then, in a room of each size full of watchers, probes join one at
 * a time and the time from each probe's join to every other member's `join` event is
 * measured (p50, p99 over all of them). `--server workerd` runs the Worker's bundle under
 * plain workerd instead (as `npm run bench:compare` does), without the proxy `wrangler dev`
 * puts in front of every socket, which each frame crosses.
 */
import { parseArgs } from "node:util";
import { startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { startPlainWorkerd } from "./compare/servers.ts";
import { closeAll, fill, JOIN_TIMEOUT_MS, join, type Watch } from "./presence-members.ts";

const USAGE = `Usage: npm run bench:presence -- [--sizes LIST] [--rounds R] [--probes P] [--concurrency C] [--server S]

  --sizes LIST     rooms as members/objects, comma-separated (default 100/10,1000/10)
  --rounds R       turns per variant and size, interleaved (default 3)
  --probes P       joins timed to every other member's join event (default 20)
  --concurrency C  joins in flight (default 50)
  --server S       wrangler (wrangler dev, the default) or workerd (the bundle under plain workerd)
`;

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100/10,1000/10" },
    rounds: { type: "string", default: "3" },
    probes: { type: "string", default: "20" },
    concurrency: { type: "string", default: "50" },
    server: { type: "string", default: "wrangler" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [rounds, probes, concurrency] = [values.rounds, values.probes, values.concurrency].map(Number) as [
  number,
  number,
  number,
];
interface Size {
  readonly members: number;
  readonly objects: number;
}
const sizes: Size[] = values.sizes.split(",").map((entry) => {
  const [members, objects] = entry.split("/").map(Number) as [number, number];
  return { members, objects };
});
const wholes = [rounds, probes, concurrency, ...sizes.flatMap(({ members, objects }) => [members, objects])];
const plain = values.server === "workerd";
if (!plain && values.server !== "wrangler") {
  process.stderr.write(`bench:presence: --server is wrangler or workerd\n\n${USAGE}`);
  process.exit(2);
}
if (!wholes.every((n) => Number.isInteger(n) && n > 0) || sizes.some((size) => size.members % size.objects !== 0)) {
  process.stderr.write(
    `bench:presence: every option must be a positive whole number, and members a multiple of objects\n\n${USAGE}`,
  );
  process.exit(2);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;

type Variant = "with" | "batch" | "one" | "without";
const ORDER: Variant[] = ["with", "batch", "one", "without"];
const WATCH: Record<Variant, Watch> = { with: "1", batch: "batch", one: null, without: null };

/** A server the bench joins: `ws://127.0.0.1:PORT`. */
interface Server {
  readonly wsUrl: string;
  stop(): Promise<void>;
}

async function startServer(vars: Record<string, string>): Promise<Server> {
  if (!plain) return startDevServer(vars);
  const server = await startPlainWorkerd(vars);
  return { wsUrl: server.wsUrl.origin, stop: () => server.stop() };
}

interface Bench {
  readonly size: Size;
  readonly server: Server;
  readonly rates: Record<Variant, number[]>;
}

/** One turn: a fresh room filled with `size.members` joins of `variant`, then emptied. */
async function turn({ size, server, rates }: Bench, variant: Variant, round: number): Promise<void> {
  const room = `bench-presence-${variant}-${round}-${Date.now()}`;
  const watcher = variant === "one" ? await join(`${server.wsUrl}/rooms/${room}?history=0&presence=1`, true) : null;
  const others = watcher === null ? [] : [watcher];
  const { members: list, perSecond } = await fill(server.wsUrl, room, WATCH[variant], size.members, concurrency, {
    others,
  });
  rates[variant].push(perSecond);
  console.log(`  ${size.members} members, turn ${round + 1}, ${variant}: ${perSecond.toFixed(0)} joins/s`);
  await closeAll(watcher === null ? list : [watcher, ...list]);
}

/** Probes join a room of watchers one at a time: each probe's join to every watcher's `join` event, ms. */
async function latency({ size, server }: Bench): Promise<number[]> {
  const room = `bench-presence-latency-${Date.now()}`;
  const { members: watchers } = await fill(server.wsUrl, room, "1", size.members, concurrency, { timed: true });
  const delays: number[] = [];
  for (let probe = 0; probe < probes; probe++) {
    const id = `probe${probe}`;
    const start = performance.now();
    const prober = await join(`${server.wsUrl}/rooms/${room}?history=0&client=${id}`, false);
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    while (watchers.some((watcher) => !watcher.joins.has(id)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 2));
    for (const watcher of watchers) delays.push((watcher.joins.get(id) ?? Number.POSITIVE_INFINITY) - start);
    await closeAll([prober]);
  }
  await closeAll(watchers);
  return delays.sort((a, b) => a - b);
}

const benches: Bench[] = [];
process.once("SIGINT", async () => {
  await Promise.all(benches.map(({ server }) => server.stop()));
  process.exit(130);
});
try {
  for (const size of sizes) {
    const server = await startServer({
      ...UNCAPPED_ROOMS,
      ROOM_SHARD_CONNECTIONS: String(size.members / size.objects),
      // Every member and probe listed: past ROOM_PRESENCE_MAX, joins and leaves stop (truncated).
      ROOM_PRESENCE_MAX: String(Math.min(10_000, Math.max(1_000, size.members + probes + 1))),
    });
    benches.push({ size, server, rates: { with: [], batch: [], one: [], without: [] } });
  }
  const rooms = sizes.map(({ members, objects }) => `${members} members over ${objects} objects`).join(", ");
  const under = plain ? "plain workerd" : "wrangler dev";
  console.log(`bench:presence: ${rooms}, under ${under}; ${rounds} turns per variant, interleaved`);
  for (let round = 0; round < rounds; round++)
    for (const bench of benches)
      for (const variant of round % 2 === 0 ? ORDER : [...ORDER].reverse()) await turn(bench, variant, round);
  const delays: number[][] = [];
  for (const bench of benches) delays.push(await latency(bench));

  console.log("");
  console.log(
    "| Room | joins/s, every member presence=1 | every member presence=batch | one watcher | without | ÷ without: presence=1 | presence=batch | one watcher | join → others' join event (presence=1), p50 / p99 ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  let missed = 0;
  benches.forEach(({ size, rates }, index) => {
    const sorted = delays[index] ?? [];
    const lost = sorted.filter((delay) => !Number.isFinite(delay)).length;
    missed += lost;
    const rate = (variant: Variant) => mean(rates[variant]).toFixed(0);
    const ratio = (variant: Variant) => `${(mean(rates[variant]) / mean(rates.without)).toFixed(2)}x`;
    const latency = `${percentile(sorted, 50).toFixed(1)} / ${percentile(sorted, 99).toFixed(1)}${lost > 0 ? ` (${lost} never arrived)` : ""}`;
    console.log(
      `| ${size.members} members over ${size.objects} objects | ${rate("with")} | ${rate("batch")} | ${rate("one")} | ${rate("without")} | ${ratio("with")} | ${ratio("batch")} | ${ratio("one")} | ${latency} |`,
    );
  });
  console.log("");
  console.log(`Means of ${rounds} turns; the issue asks ≥ 0.8x for every member presence=1 over 10 objects.`);
  console.log(`Latency: ${probes} probes, each to every member of a room of watchers.`);
  process.exitCode = missed === 0 ? 0 : 1;
} finally {
  await Promise.all(benches.map(({ server }) => server.stop()));
}
