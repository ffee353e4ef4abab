/**
 * `npm run bench:auth`: what private rooms cost. Two `wrangler dev` on loopback, one
 * with `ROOM_AUTH=open` and one with `ROOM_AUTH=token`, take turns (A B A B …) at
 * the same work: joins to a fresh room (each one a JWT verified with jose in the
 * Worker), then the verified fan-out run of `npm run bench`. Prints the figures and
 * the ratio token ÷ open; the target is a cost of at most 10 %.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { type DevServer, startDevServer, UNCAPPED_ROOMS } from "../test/e2e/dev-server.ts";
import { closeClient, openClient } from "../test/e2e/ws-client.ts";
import { fanoutPlan } from "./fanout-plan.ts";
import { Progress } from "./progress.ts";
import { runPlan } from "./runner.ts";

const SECRET = randomUUID() + randomUUID();
const { values } = parseArgs({
  options: {
    joins: { type: "string", default: "300" },
    receivers: { type: "string", default: "500" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const [joins, receivers, seconds, rounds] = [values.joins, values.receivers, values.seconds, values.rounds].map(
  Number,
) as [number, number, number, number];
if (![joins, receivers, seconds, rounds].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write("bench:auth: --joins, --receivers, --seconds and --rounds must be positive whole numbers\n");
  process.exit(2);
}

const token = await new SignJWT({ rooms: ["*"], write: true })
  .setProtectedHeader({ alg: "HS256" })
  .setSubject("bench")
  .setExpirationTime("1h")
  .sign(new TextEncoder().encode(SECRET));

/** Joins per second: `joins` sockets to a fresh room, 20 at a time, each closed after. */
async function joinRate(server: DevServer, protocols: string[]): Promise<number> {
  const room = `${server.wsUrl}/rooms/join-${randomUUID()}`;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < joins) {
      next++;
      await closeClient(await openClient(room, {}, protocols));
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return joins / ((performance.now() - started) / 1000);
}

const servers: DevServer[] = [];
try {
  console.log("starting two wrangler dev: ROOM_AUTH=open, and ROOM_AUTH=token");
  const open = await startDevServer(UNCAPPED_ROOMS);
  servers.push(open);
  // ROOM_TOKEN_QUERY=on for the fan-out's load tool, which can only put a token in the URL; joins use a subprotocol.
  const secured = await startDevServer({
    ...UNCAPPED_ROOMS,
    ROOM_AUTH: "token",
    ROOM_TOKEN_SECRET: SECRET,
    ROOM_TOKEN_QUERY: "on",
  });
  servers.push(secured);
  const targets = [
    { label: "open", server: open, protocols: [], query: "" },
    // Joins as a browser sends it: a subprotocol entry beside `room-token`, which the server answers.
    { label: "token", server: secured, protocols: ["room-token", `room-token.${token}`], query: `?token=${token}` },
  ];

  const rates = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const { label, server, protocols } of targets) {
      const rate = await joinRate(server, protocols);
      rates.set(label, [...(rates.get(label) ?? []), rate]);
      console.log(`joins, round ${round + 1}, ${label}: ${rate.toFixed(0)}/s`);
    }
  }

  const plan = fanoutPlan(
    targets.map(({ label, server, query }) => ({ label, url: new URL(`${server.wsUrl}/ws${query}`) })),
    receivers,
    seconds,
    rounds,
  );

  const [result] = await runPlan(plan, new Progress(process.stdout));
  if (result === undefined) throw new Error("no result");
  const mean = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const [openJoins, tokenJoins] = [mean(rates.get("open")), mean(rates.get("token"))];
  const [openRun, tokenRun] = result.summaries;
  const ms = (us: number | null | undefined) => (us == null ? "-" : (us / 1000).toFixed(1));
  console.log(`\n${joins} joins per turn (20 at a time); fan-out: ${result.description}; ${rounds} turns each\n`);
  console.log("| Rooms | joins/s | deliveries/s | p99 ms | lost | errors |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [label, rate, run] of [
    ["open", openJoins, openRun],
    ["token", tokenJoins, tokenRun],
  ] as const) {
    const deliveries = Math.round(run?.msgsPerSec ?? 0).toLocaleString("en-US");
    console.log(
      `| ${label} | ${rate.toFixed(0)} | ${deliveries} | ${ms(run?.latencyUs.p99)} | ${run?.errors.losses} | ${run?.errorCount} |`,
    );
  }
  const joinRatio = tokenJoins / openJoins;
  const fanRatio = (tokenRun?.msgsPerSec ?? 0) / (openRun?.msgsPerSec ?? 1);
  console.log(`\ntoken ÷ open: joins ${joinRatio.toFixed(2)}x, deliveries ${fanRatio.toFixed(2)}x (target ≥ 0.90x)`);
  process.exitCode = result.summaries.some((s) => s.errorCount > 0) ? 1 : 0;
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
}
