/**
 * `npm run bench:history`: what rooms that lose nothing cost. Two `wrangler dev` on
 * loopback, history on (the default window) and off (`ROOM_HISTORY_MESSAGES=0`), take
 * turns at the verified fan-out run of `npm run bench`, three targets interleaved: history
 * on with verbatim receivers (the write of each message to history and its relay with its
 * place), history on with positioned receivers (`?history=0`: envelopes, and each object's
 * delivered vector), and history off. Then, on the server with history, the time a member
 * takes to resume after missing 1,000 messages. Prints the figures and the ratios ÷ off
 * (target ≥ 0.8x).
 */
import { parseArgs } from "node:util";
import { type DevServer, startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { closeClient, openClient, waitForMessages } from "../test/e2e/ws-client.ts";
import { fanoutPlan } from "./fanout-plan.ts";
import { Progress } from "./progress.ts";
import { runPlan } from "./runner.ts";

const { values } = parseArgs({
  options: {
    receivers: { type: "string", default: "1000" },
    shard: { type: "string", default: "5000" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    missed: { type: "string", default: "1000" },
  },
});
const [receivers, shard, seconds, rounds, missed] = [
  values.receivers,
  values.shard,
  values.seconds,
  values.rounds,
  values.missed,
].map(Number) as [number, number, number, number, number];
if (![receivers, shard, seconds, rounds, missed].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write("bench:history: every option must be a positive whole number\n");
  process.exit(2);
}

/** Milliseconds from a resume's upgrade to its last replayed message, after `missed` messages away. */
async function resumeTime(server: DevServer): Promise<number> {
  const room = `${server.wsUrl}/rooms/resume-${Date.now()}`;
  const sender = await openClient(room);
  const witness = await openClient(room);
  const member = await openClient(`${room}?history=0`);
  sender.ws.send("before");
  const [, seen] = await waitForMessages(member, 2);
  const position = JSON.parse(seen?.data.toString() ?? "{}").position;
  await closeClient(member);
  for (let i = 0; i < missed; i++) sender.ws.send(`missed ${i}`);
  await waitForMessages(witness, missed + 1, 60_000);
  const started = performance.now();
  const back = await openClient(`${room}?since=${position}`);
  await waitForMessages(back, missed + 1, 60_000);
  const ms = performance.now() - started;
  await Promise.all([sender, witness, back].map(closeClient));
  return ms;
}

const servers: DevServer[] = [];
try {
  console.log(`starting two wrangler dev (ROOM_SHARD_CONNECTIONS=${shard}): history on, and off`);
  const on = await startDevServer({ ...UNCAPPED_ROOMS, ROOM_SHARD_CONNECTIONS: String(shard) });
  servers.push(on);
  const off = await startDevServer({
    ...UNCAPPED_ROOMS,
    ROOM_SHARD_CONNECTIONS: String(shard),
    ROOM_HISTORY_MESSAGES: "0",
  });
  servers.push(off);
  const plan = fanoutPlan(
    [
      { label: "history on, verbatim receivers", url: new URL(`${on.wsUrl}/ws`) },
      { label: "history on, positioned receivers", url: new URL(`${on.wsUrl}/ws?history=0`) },
      { label: "history off", url: new URL(`${off.wsUrl}/ws`) },
    ],
    receivers,
    seconds,
    rounds,
  );

  const [result] = await runPlan(plan, new Progress(process.stdout));
  if (result === undefined) throw new Error("no result");
  const resumes: number[] = [];
  for (let round = 0; round < rounds; round++) resumes.push(await resumeTime(on));
  const objects = Math.ceil((receivers + 4) / shard);
  const ms = (us: number | null | undefined) => (us == null ? "-" : (us / 1000).toFixed(1));
  console.log(`\nfan-out: ${result.description}; ${objects} object(s); ${rounds} turns each\n`);
  console.log("| Room | deliveries/s | p50 ms | p99 ms | lost | errors |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const run of result.summaries) {
    const rate = Math.round(run.msgsPerSec).toLocaleString("en-US");
    console.log(
      `| ${run.target} | ${rate} | ${ms(run.latencyUs.p50)} | ${ms(run.latencyUs.p99)} | ${run.errors.losses} | ${run.errorCount} |`,
    );
  }
  console.log();
  const without = result.summaries.at(-1);
  for (const run of result.summaries.slice(0, -1)) {
    const rate = run.msgsPerSec / (without?.msgsPerSec ?? 1);
    const p99 = (without?.latencyUs.p99 ?? 0) / (run.latencyUs.p99 ?? 1);
    console.log(
      `${run.target} ÷ off: deliveries ${rate.toFixed(2)}x, p99 (off ÷ on, higher is better) ${p99.toFixed(2)}x (target ≥ 0.80x)`,
    );
  }
  const sorted = [...resumes].sort((a, b) => a - b);
  console.log(
    `resume after ${missed} missed messages: ${sorted.map((t) => `${t.toFixed(0)} ms`).join(", ")} (median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms)`,
  );
  process.exitCode = result.summaries.some((s) => s.errorCount > 0) ? 1 : 0;
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
}
