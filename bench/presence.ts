/**
 * `npm run bench:presence`: what presence costs a join, in rooms of two sizes over 10
 * objects each (one `wrangler dev` per size on loopback, ROOM_SHARD_CONNECTIONS = members
 * / 10): 100 members (10 a object) and 1,000 (100 a object). Turns alternate, over both
 * sizes, between joining a fresh room with every member on `presence=1` (each gets a
 * snapshot, and every later join), with one watcher and the others identified only (the
 * bookkeeping alone), and without (all positioned, all with `?client=`), and the join
 * rates are compared. Then, in a room of each size full of watchers, probes join one at
 * a time and the time from each probe's join to every other member's `join` event is
 * measured (p50, p99 over all of them). `--server workerd` runs the Worker's bundle under
 * plain workerd instead (as `npm run bench:compare` does), without the proxy `wrangler dev`
 * puts in front of every socket, which each frame crosses.
 */
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { startPlainWorkerd } from "./compare/servers.ts";

const USAGE = `Usage: npm run bench:presence -- [--sizes LIST] [--rounds R] [--probes P] [--concurrency C] [--server S]

  --sizes LIST     rooms as members/objects, comma-separated (default 100/10,1000/10)
  --rounds R       turns per variant and size, interleaved (default 3)
  --probes P       joins timed to every other member's join event (default 20)
  --concurrency C  joins in flight (default 50)
  --server S       wrangler (wrangler dev, the default) or workerd (the bundle under plain workerd)
`;
const JOIN_TIMEOUT_MS = 30_000;

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

interface Member {
  readonly ws: WebSocket;
  /** When each user's join event arrived here (performance.now()). */
  readonly joins: Map<string, number>;
}

/**
 * Joins and resolves once the room's first frames arrived: `joined`, and with presence its
 * snapshot. Only with `timed` does it read the join events after them (the bench's own cost).
 */
function join(url: string, watch: boolean, timed = false): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const joins = new Map<string, number>();
    const timer = setTimeout(() => reject(new Error(`no joined frame within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
    ws.on("error", reject);
    ws.on("close", (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    const onMessage = (data: WebSocket.RawData, binary: boolean) => {
      if (binary) return;
      const frame = JSON.parse(data.toString()) as { type: string; member?: { id: string } };
      if (frame.type === "join" && frame.member) joins.set(frame.member.id, performance.now());
      if (frame.type === (watch ? "presence" : "joined")) {
        clearTimeout(timer);
        if (!timed) ws.off("message", onMessage);
        resolve({ ws, joins });
      }
    };
    ws.on("message", onMessage);
  });
}

async function fill(
  base: string,
  room: string,
  watch: boolean,
  count: number,
  timed = false,
): Promise<{ members: Member[]; perSecond: number }> {
  const joined: Member[] = [];
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const query = `history=0&client=m${i}${watch ? "&presence=1" : ""}`;
      joined.push(await join(`${base}/rooms/${room}?${query}`, watch, timed));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { members: joined, perSecond: (count * 1000) / (performance.now() - start) };
}

async function closeAll(list: Member[]): Promise<void> {
  await Promise.all(
    list.map(
      ({ ws }) =>
        new Promise<void>((resolve) => {
          ws.removeAllListeners("close");
          ws.removeAllListeners("error");
          ws.on("error", () => {});
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once("close", () => resolve());
          ws.close(1000, "bench over");
        }),
    ),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;

type Variant = "with" | "one" | "without";
const ORDER: Variant[] = ["with", "one", "without"];

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
  const { members: list, perSecond } = await fill(server.wsUrl, room, variant === "with", size.members);
  rates[variant].push(perSecond);
  console.log(`  ${size.members} members, turn ${round + 1}, ${variant}: ${perSecond.toFixed(0)} joins/s`);
  await closeAll(watcher === null ? list : [watcher, ...list]);
}

/** Probes join a room of watchers one at a time: each probe's join to every watcher's `join` event, ms. */
async function latency({ size, server }: Bench): Promise<number[]> {
  const room = `bench-presence-latency-${Date.now()}`;
  const { members: watchers } = await fill(server.wsUrl, room, true, size.members, true);
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
    benches.push({ size, server, rates: { with: [], one: [], without: [] } });
  }
  const rooms = sizes.map(({ members, objects }) => `${members} members over ${objects} objects`).join(", ");
  const under = plain ? "plain workerd" : "wrangler dev";
  console.log(`bench:presence: ${rooms}, under ${under}; ${rounds} turns per variant, interleaved`);
  for (let round = 0; round < rounds; round++)
    for (const bench of benches)
      for (const variant of round % 2 === 0 ? ORDER : [...ORDER].reverse()) await turn(bench, variant, round);
  const delays = [];
  for (const bench of benches) delays.push(await latency(bench));

  console.log("");
  console.log(
    `| Room | every member presence=1, joins/s | one watcher | without | ÷ without, every member | ÷ without, one watcher | join → others' join event, p50 / p99 ms |`,
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  let missed = 0;
  benches.forEach(({ size, rates }, index) => {
    const sorted = delays[index] ?? [];
    const lost = sorted.filter((delay) => !Number.isFinite(delay)).length;
    missed += lost;
    const ratio = mean(rates.with) / mean(rates.without);
    const bookkeeping = mean(rates.one) / mean(rates.without);
    console.log(
      `| ${size.members} members over ${size.objects} objects | ${mean(rates.with).toFixed(0)} | ${mean(rates.one).toFixed(0)} | ${mean(rates.without).toFixed(0)} | ${ratio.toFixed(2)}x | ${bookkeeping.toFixed(2)}x | ${percentile(sorted, 50).toFixed(1)} / ${percentile(sorted, 99).toFixed(1)}${lost > 0 ? ` (${lost} never arrived)` : ""} |`,
    );
  });
  console.log("");
  console.log(`Means of ${rounds} turns; the issue asks ≥ 0.8x for every member presence=1 over 10 objects.`);
  console.log(`Latency: ${probes} probes, each to every member of a room of watchers.`);
  process.exitCode = missed === 0 ? 0 : 1;
} finally {
  await Promise.all(benches.map(({ server }) => server.stop()));
}
