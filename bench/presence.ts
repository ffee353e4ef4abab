/**
 * `npm run bench:presence`: what presence costs a join. One `wrangler dev` on loopback
 * (ROOM_SHARD_CONNECTIONS=--shard, so --members spread over --members/--shard objects);
 * turns alternate between joining a fresh room with `presence=1` and without (both
 * positioned, both with `?client=`), and the join rates are compared. Then, in a room of
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

/** Joins and resolves once the room's first frames arrived: `joined`, and with presence its snapshot. */
function join(url: string, watch: boolean): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const joins = new Map<string, number>();
    const timer = setTimeout(() => reject(new Error(`no joined frame within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
    ws.on("error", reject);
    ws.on("close", (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    ws.on("message", (data, binary) => {
      if (binary) return;
      const frame = JSON.parse(data.toString()) as { type: string; member?: { id: string } };
      if (frame.type === "join" && frame.member) joins.set(frame.member.id, performance.now());
      if (frame.type === (watch ? "presence" : "joined")) {
        clearTimeout(timer);
        resolve({ ws, joins });
      }
    });
  });
}

async function fill(
  base: string,
  room: string,
  watch: boolean,
  count: number,
): Promise<{ members: Member[]; perSecond: number }> {
  const joined: Member[] = [];
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const query = `history=0&client=m${i}${watch ? "&presence=1" : ""}`;
      joined.push(await join(`${base}/rooms/${room}?${query}`, watch));
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

const server = await startDevServer({ ...UNCAPPED_ROOMS, IP_LIMITS: "off", ROOM_SHARD_CONNECTIONS: String(shard) });
process.once("SIGINT", async () => {
  await server.stop();
  process.exit(130);
});
try {
  const objects = Math.ceil(members / shard);
  console.log(`bench:presence: ${members} members over ${objects} objects, ${rounds} turns per variant, interleaved`);
  const rates: Record<"with" | "without", number[]> = { with: [], without: [] };
  for (let round = 0; round < rounds; round++) {
    for (const watch of round % 2 === 0 ? [true, false] : [false, true]) {
      const room = `bench-presence-${watch ? "on" : "off"}-${round}-${Date.now()}`;
      const { members: list, perSecond } = await fill(server.wsUrl, room, watch, members);
      (watch ? rates.with : rates.without).push(perSecond);
      console.log(`  turn ${round + 1}, presence=${watch ? 1 : 0}: ${perSecond.toFixed(0)} joins/s`);
      await closeAll(list);
    }
  }
  const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;
  const ratio = mean(rates.with) / mean(rates.without);

  const room = `bench-presence-latency-${Date.now()}`;
  const { members: watchers } = await fill(server.wsUrl, room, true, members);
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
  console.log(`| with presence=1 | ${mean(rates.with).toFixed(0)} |`);
  console.log(`| without | ${mean(rates.without).toFixed(0)} |`);
  console.log("");
  console.log(`Join rate, presence=1 ÷ without: ${ratio.toFixed(2)}x (must be ≥ 0.8x)`);
  console.log(
    `A join to every other member's join event, ${members} members, ${probes} probes: p50 ${percentile(delays, 50).toFixed(1)} ms, p99 ${percentile(delays, 99).toFixed(1)} ms${missed > 0 ? `, ${missed} never arrived` : ""}`,
  );
  process.exitCode = ratio >= 0.8 && missed === 0 ? 0 : 1;
} finally {
  await server.stop();
}
