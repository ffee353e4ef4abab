/**
 * `npm run bench:acks`: what sending that loses nothing costs. Each figure is measured in
 * one interleaved run (acks on and off take turns, `--rounds` times):
 * - fan-out with acks on against off, in one object and over ten: senders joined with
 *   `&acks=1` (each frame with an id, an ack back, the id kept beside history) or without,
 *   each keeping `--window` messages in flight (the next sent as its echo comes back), to
 *   `--receivers` positioned receivers; messages delivered a second, and the ratio on ÷ off
 *   (target ≥ 0.9x);
 * - ack latency, p50 and p99, from `send` to its ack, against the echo's round trip;
 * - deduplication's storage: the rows and bytes the ids take per message, read from the
 *   object's SQLite file (`dbstat`) after `--stored` messages, and what a million would cost.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";

const { values } = parseArgs({
  options: {
    receivers: { type: "string", default: "200" },
    senders: { type: "string", default: "4" },
    window: { type: "string", default: "16" },
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    samples: { type: "string", default: "300" },
    stored: { type: "string", default: "1000" },
  },
});
const numbers = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Number(value)]));
if (!Object.values(numbers).every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write("bench:acks: every option must be a positive whole number\n");
  process.exit(2);
}
const option = (name: string): number => numbers[name] ?? 0;
const [receivers, senders, window, seconds, rounds, samples, stored] = [
  "receivers",
  "senders",
  "window",
  "seconds",
  "rounds",
  "samples",
  "stored",
].map(option) as [number, number, number, number, number, number, number];
/** A bench joins hundreds of sockets from one address, faster than a person: the limits for people are off. */
const NO_LIMITS = {
  MAX_MESSAGES_PER_SECOND: "0",
  ROOM_MAX_CONNECTIONS: "100000",
  ROOM_MAX_PER_ADDRESS: "0",
  IP_LIMITS: "off",
};

/** Opens a socket; resolves once open. */
function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_request, response) => reject(new Error(`${url}: ${response.statusCode}`)));
  });
}

const frameOf = (acks: boolean, id: string, text: string) => (acks ? JSON.stringify({ id, data: text }) : text);

/** Messages delivered a second to the receivers of a fresh room, senders each keeping `window` in flight. */
async function fanOut(server: DevServer, acks: boolean): Promise<number> {
  const room = `${server.wsUrl}/rooms/bench-${acks ? "on" : "off"}-${crypto.randomUUID().slice(0, 8)}`;
  let delivered = 0;
  let running = true;
  const sockets: WebSocket[] = [];
  /** Sockets the room closed during the turn, by code: a turn with any is not comparable. */
  const closes = new Map<number, number>();
  const watch = (ws: WebSocket) => ws.on("close", (code) => running && closes.set(code, (closes.get(code) ?? 0) + 1));
  for (let i = 0; i < receivers; i++) {
    const ws = await open(`${room}?history=0`);
    watch(ws);
    ws.on("message", () => delivered++);
    sockets.push(ws);
  }
  for (let s = 0; s < senders; s++) {
    const query = acks ? `?history=0&echo=1&acks=1&client=bench-${s}` : "?history=0&echo=1";
    const ws = await open(`${room}${query}`);
    watch(ws);
    sockets.push(ws);
    let n = 0;
    const next = () => ws.send(frameOf(acks, `${s}-${++n}`, `message ${n} from sender ${s}`));
    ws.on("message", (data) => {
      // Its own message back (not the joined frame, not an ack): room for the next one.
      const text = data.toString();
      if (running && text.startsWith('{"type":"message"') && text.endsWith(`from sender ${s}"}`)) next();
    });
    for (let i = 0; i < window; i++) next();
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // warm-up
  const before = delivered;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const rate = ((delivered - before) * 1000) / (performance.now() - started);
  const closed = [...closes].map(([code, count]) => `${count} closed ${code}`).join(", ");
  process.stdout.write(
    `  ${acks ? "acks on " : "acks off"}: ${rate.toFixed(0)} deliveries/s${closed ? ` (${closed})` : ""}\n`,
  );
  running = false;
  for (const ws of sockets) ws.terminate();
  return rate;
}

/** Milliseconds from each send to its answer (`answered` says which frame answers), one at a time. */
async function latencies(url: string, frame: (n: number) => string, answered: (data: string) => boolean) {
  const ws = await open(url);
  const times: number[] = [];
  // The first answer waits for the join (a room's catch-up): not counted.
  for (let n = 0; n <= samples; n++) {
    const started = performance.now();
    const answer = new Promise<void>((resolve) => {
      const listener = (data: WebSocket.RawData) => {
        if (!answered(data.toString())) return;
        ws.off("message", listener);
        resolve();
      };
      ws.on("message", listener);
    });
    ws.send(frame(n));
    await answer;
    if (n > 0) times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  ws.terminate();
  return times.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const median = (list: number[]) =>
  quantile(
    [...list].sort((a, b) => a - b),
    0.5,
  );
const ms = (n: number) => `${n.toFixed(2)} ms`;

/** Sends `stored` messages to a fresh room with or without ids; resolves once all are stored. */
async function fill(server: DevServer, room: string, acks: boolean): Promise<void> {
  const witness = await open(`${server.wsUrl}/rooms/${room}?history=0`);
  let got = 0;
  const all = new Promise<void>((resolve) =>
    witness.on("message", (data) => {
      if (data.toString().startsWith('{"type":"message"') && ++got === stored) resolve();
    }),
  );
  const sender = await open(
    `${server.wsUrl}/rooms/${room}?history=0${acks ? "&acks=1&client=0123456789abcdef0123456789abcdef" : ""}`,
  );
  for (let n = 1; n <= stored; n++)
    sender.send(frameOf(acks, `0123456789abcdef-${n}`, `message ${String(n).padStart(6, "0")}`));
  await all;
  sender.terminate();
  witness.terminate();
}

/** Per Durable Object SQLite file of `dir`: rows in sent_ids and the bytes of its pages (table and index). */
async function idStorage(dir: string): Promise<{ rows: number; bytes: number }[]> {
  const files: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(".sqlite")) files.push(path);
    }
  };
  await walk(dir);
  const query =
    "SELECT (SELECT COUNT(*) FROM sent_ids), (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'sent_ids' OR name LIKE 'sqlite_autoindex_sent_ids%')";
  return files.flatMap((file) => {
    try {
      const [rows = 0, bytes = 0] = execFileSync("sqlite3", ["-readonly", file, query], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      })
        .trim()
        .split("|")
        .map(Number);
      return [{ rows, bytes }];
    } catch {
      return []; // not a room object, or no sent_ids table
    }
  });
}

const servers: DevServer[] = [];
try {
  const shard = Math.ceil(receivers / 10);
  console.log(
    `bench:acks: ${receivers} positioned receivers, ${senders} senders x ${window} in flight, ${seconds} s x ${rounds} rounds`,
  );
  const one = await startDevServer({ ...NO_LIMITS, ROOM_SHARD_CONNECTIONS: "5000" });
  servers.push(one);
  const ten = await startDevServer({ ...NO_LIMITS, ROOM_SHARD_CONNECTIONS: String(shard) });
  servers.push(ten);

  const rates = { one: { on: [] as number[], off: [] as number[] }, ten: { on: [] as number[], off: [] as number[] } };
  const acksLatency: number[] = [];
  const echoLatency: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Interleaved: on and off alternate, and which goes first alternates too.
    for (const acks of round % 2 === 0 ? [true, false] : [false, true]) {
      rates.one[acks ? "on" : "off"].push(await fanOut(one, acks));
      rates.ten[acks ? "on" : "off"].push(await fanOut(ten, acks));
    }
    const room = `${one.wsUrl}/rooms/latency-${crypto.randomUUID().slice(0, 8)}?history=0&acks=1&client=latency`;
    acksLatency.push(
      ...(await latencies(
        room,
        (n) => frameOf(true, `l-${n}`, "x"),
        (data) => data.includes('"ack"'),
      )),
    );
    const echo = `${one.wsUrl}/ws`;
    echoLatency.push(
      ...(await latencies(
        echo,
        () => "x",
        () => true,
      )),
    );
    process.stdout.write(`round ${round + 1}/${rounds} done\n`);
  }
  for (const [label, key] of [
    ["one object", "one"],
    [`ten objects (ROOM_SHARD_CONNECTIONS=${shard})`, "ten"],
  ] as const) {
    const { on, off } = rates[key];
    const line = (list: number[]) => list.map((rate) => rate.toFixed(0)).join(", ");
    console.log(`fan-out, ${label}: acks on ${line(on)} /s; off ${line(off)} /s`);
    const ratios = on.map((rate, i) => rate / (off[i] ?? Number.NaN));
    console.log(
      `  on ÷ off per round ${ratios.map((r) => `${r.toFixed(2)}x`).join(", ")}; of medians ${(median(on) / median(off)).toFixed(2)}x (target ≥ 0.9x)`,
    );
  }
  acksLatency.sort((a, b) => a - b);
  echoLatency.sort((a, b) => a - b);
  const [a50, a99, e50, e99] = [
    quantile(acksLatency, 0.5),
    quantile(acksLatency, 0.99),
    quantile(echoLatency, 0.5),
    quantile(echoLatency, 0.99),
  ];
  console.log(
    `ack latency (${acksLatency.length} sends): p50 ${ms(a50)}, p99 ${ms(a99)}; echo RTT p50 ${ms(e50)}, p99 ${ms(e99)}; ack ÷ echo p50 ${(a50 / e50).toFixed(2)}x, p99 ${(a99 / e99).toFixed(2)}x`,
  );

  for (const server of servers.splice(0)) await server.stop();
  const dir = await mkdtemp(join(tmpdir(), "edge-echo-bench-acks-"));
  try {
    const persisted = await startDevServer(NO_LIMITS, { persistTo: dir });
    servers.push(persisted);
    await fill(persisted, "with-ids", true);
    await fill(persisted, "without-ids", false);
    await persisted.stop();
    servers.splice(0);
    const tables = (await idStorage(dir)).filter(({ rows }) => rows > 0);
    const rows = tables.reduce((sum, table) => sum + table.rows, 0);
    const bytes = tables.reduce((sum, table) => sum + table.bytes, 0);
    console.log(
      `dedup storage after ${stored} messages with ids: ${rows} rows (${(rows / stored).toFixed(2)} per message), ${bytes} bytes of pages (${(bytes / stored).toFixed(0)} bytes per message, ids of 18 characters, identity of 39)`,
    );
    console.log(
      `  a million messages within one window: ${(((bytes / stored) * 1e6) / 2 ** 20).toFixed(0)} MiB; past the window the rows are deleted with the messages (ROOM_HISTORY_MESSAGES bounds them per object)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  for (const server of servers) await server.stop();
}
