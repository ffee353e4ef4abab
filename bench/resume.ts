/**
 * `npm run bench:resume`: how long the rooms client module takes to resume after a drop.
 * A RoomClient (public/client/room-client.js, on Node's WebSocket) joins a room on
 * `wrangler dev` through a loopback TCP proxy; the proxy cuts its connection; another
 * member sends `--missed` messages (1,000 by default) while it is away; the client comes
 * back with `?since=`. Timed from its new socket opening (the backoff's wait left out) to
 * the last missed message delivered, each checked once and in order. Prints every round,
 * the median, and messages per second.
 */
import { parseArgs } from "node:util";
import { RoomClient } from "../public/client/room-client.js";
import { startDevServer } from "../test/e2e/dev-server.ts";
import { startProxy } from "../test/e2e/tcp-proxy.ts";
import { closeClient, openClient, waitForMessages } from "../test/e2e/ws-client.ts";

const { values } = parseArgs({
  options: { missed: { type: "string", default: "1000" }, rounds: { type: "string", default: "5" } },
});
const [missed, rounds] = [Number(values.missed), Number(values.rounds)];
if (![missed, rounds].every((n) => Number.isInteger(n) && n > 0) || missed > 1000) {
  process.stderr.write("bench:resume: --missed (1 to 1000, the default history window) and --rounds must be whole\n");
  process.exit(2);
}

/** Counts the sockets the client opens, so the clock starts at the resuming one. */
class TimedWebSocket extends WebSocket {
  static opened = 0;
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener("open", () => {
      TimedWebSocket.opened = performance.now();
    });
  }
}

async function round(wsUrl: string, proxyUrl: string, drop: () => void): Promise<number> {
  const room = `resume-${crypto.randomUUID()}`;
  const sender = await openClient(`${wsUrl}/rooms/${room}?echo=1`);
  const client = new RoomClient(`${proxyUrl}/rooms/${room}`, { WebSocket: TimedWebSocket, minDelayMs: 2000 });
  const received: string[] = [];
  let done = 0;
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  client.on("message", ({ data }) => {
    received.push(String(data));
    if (received.length === missed) {
      done = performance.now();
      resolveDone();
    }
  });
  try {
    await new Promise((resolve) => client.on("joined", resolve));
    const away = new Promise((resolve) => client.on("reconnecting", resolve));
    drop();
    await away;
    for (let i = 0; i < missed; i++) sender.ws.send(`m${i}`);
    await waitForMessages(sender, missed, 30_000);
    await finished;
    const expected = Array.from({ length: missed }, (_, i) => `m${i}`);
    if (received.join() !== expected.join()) throw new Error("the resumed messages were not each once and in order");
    return done - TimedWebSocket.opened;
  } finally {
    client.close();
    await closeClient(sender);
  }
}

const server = await startDevServer({});
const proxy = await startProxy(server.port);
try {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const ms = await round(server.wsUrl, proxy.wsUrl, () => proxy.dropAll());
    times.push(ms);
    console.log(`round ${i + 1}: ${missed} missed messages resumed in ${ms.toFixed(0)} ms`);
  }
  const median = times.toSorted((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
  console.log(
    `median: ${median.toFixed(0)} ms for ${missed} messages (${Math.round(missed / (median / 1000))} messages/s), ` +
      "from the resuming socket's open to the last missed message, on wrangler dev",
  );
} finally {
  await proxy.close();
  await server.stop();
}
