/**
 * `npm run bench:presence`: what presence costs a join. One `wrangler dev` on loopback
 * (ROOM_SHARD_CONNECTIONS=--shard, so --members spread over --members/--shard objects);
 * turns alternate between joining a fresh room with every member on `presence=1` (each
 * gets a snapshot, and every later join), with one watcher and the others identified
 * only (the bookkeeping alone), and without (all positioned, all with `?client=`), and
 * the join rates are compared. Then, in a room of
 * --members watchers, probes join one at a time and the time from each probe's join to
 * every other member's `join` event is measured (p50, p99 over all of them).
 */
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";

const USAGE = `Usage: npm run bench:presence -- [--members N] [--shard M] [--rounds R] [--probes P] [--concurrency C]

  --members N      members per room (default 1000)
  --shard M        ROOM_SHARD_CONNECTIONS (default 100: 10 objects for 1,000 members)
  --rounds R       turns per variant, interleaved (default 3)
  --probes P       joins timed to every other member's join event (default 20)
  --concurrency C  joins in flight (default 50)
`;
const JOIN_TIMEOUT_MS = 30_000;

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "1000" },
    shard: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    probes: { type: "string", default: "20" },
    concurrency: { type: "string", default: "50" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [members, shard, rounds, probes, concurrency] = [
  values.members,
  values.shard,
  values.rounds,
  values.probes,
  values.concurrency,
].map(Number) as [number, number, number, number, number];
if (![members, shard, rounds, probes, concurrency].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write(`bench:presence: every option must be a positive whole number\n\n${USAGE}`);
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

// Every member and probe listed: past ROOM_PRESENCE_MAX, joins and leaves stop (truncated).
const presenceMax = String(Math.min(10_000, Math.max(1_000, members + probes + 1)));
const server = await startDevServer({
  ...UNCAPPED_ROOMS,
  ROOM_SHARD_CONNECTIONS: String(shard),
  ROOM_PRESENCE_MAX: presenceMax,
});
process.once("SIGINT", async () => {
  await server.stop();
  process.exit(130);
});
try {
  const objects = Math.ceil(members / shard);
  console.log(`bench:presence: ${members} members over ${objects} objects, ${rounds} turns per variant, interleaved`);
  type Variant = "with" | "one" | "without";
  const rates: Record<Variant, number[]> = { with: [], one: [], without: [] };
  const order: Variant[] = ["with", "one", "without"];
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? order : [...order].reverse()) {
      const room = `bench-presence-${variant}-${round}-${Date.now()}`;
      const watcher = variant === "one" ? await join(`${server.wsUrl}/rooms/${room}?history=0&presence=1`, true) : null;
      const { members: list, perSecond } = await fill(server.wsUrl, room, variant === "with", members);
      rates[variant].push(perSecond);
      console.log(`  turn ${round + 1}, ${variant}: ${perSecond.toFixed(0)} joins/s`);
      await closeAll(watcher === null ? list : [watcher, ...list]);
    }
  }
  const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;
  const ratio = mean(rates.with) / mean(rates.without);
  const bookkeeping = mean(rates.one) / mean(rates.without);

  const room = `bench-presence-latency-${Date.now()}`;
  const { members: watchers } = await fill(server.wsUrl, room, true, members, true);
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
  delays.sort((a, b) => a - b);
  const missed = delays.filter((delay) => !Number.isFinite(delay)).length;

  console.log("");
  console.log(`| Joins over ${objects} objects | joins/s (mean of ${rounds}) |`);
  console.log("|---|---:|");
  console.log(`| every member presence=1 | ${mean(rates.with).toFixed(0)} |`);
  console.log(`| one watcher, the others identified | ${mean(rates.one).toFixed(0)} |`);
  console.log(`| without presence | ${mean(rates.without).toFixed(0)} |`);
  console.log("");
  console.log(`Join rate, every member presence=1 ÷ without: ${ratio.toFixed(2)}x (the issue asks ≥ 0.8x)`);
  console.log(`Join rate, one watcher ÷ without (the bookkeeping alone): ${bookkeeping.toFixed(2)}x`);
  console.log(
    `A join to every other member's join event, ${members} members, ${probes} probes: p50 ${percentile(delays, 50).toFixed(1)} ms, p99 ${percentile(delays, 99).toFixed(1)} ms${missed > 0 ? `, ${missed} never arrived` : ""}`,
  );
  process.exitCode = ratio >= 0.8 && missed === 0 ? 0 : 1;
} finally {
  await server.stop();
}
