/**
 * `npm run bench` as a user runs it: a child process against the e2e server for
 * each scenario (every echo verified, so exit 0 means the server is correct),
 * and against deliberately wrong echo servers, which it must catch.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type RawData, WebSocketServer } from "ws";
import { type DevServer, startDevServer } from "./dev-server.ts";

const ROOT = resolve(import.meta.dirname, "../..");
/** Generous: the tool's own hard deadline for these settings is well below it. */
const CHILD_TIMEOUT_MS = 45_000;
/** Small and short: this proves the tool works, it does not measure anything. */
const QUICK = [
  "--seconds",
  "1",
  "--connections",
  "4",
  "--sockets",
  "20",
  "--receivers",
  "5",
  "--hold",
  "100",
  "--drain",
  "2",
];
const EXIT_ERRORS = 1;

interface BenchRun {
  code: number | null;
  report: {
    ok: boolean;
    summaries: {
      scenario: string;
      messages: number;
      errors: Record<string, number>;
      limited: { refused429: number; rateCloses: number };
    }[];
  };
  stderr: string;
}

/** Runs the CLI; rejects if it outlives `CHILD_TIMEOUT_MS` (its hard deadline failed) or prints no JSON. */
async function runBench(args: string[]): Promise<BenchRun> {
  const child = spawn(process.execPath, ["bench/bench.ts", ...args, "--json"], { cwd: ROOT });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  if (code === null)
    throw new Error(`bench did not exit within ${CHILD_TIMEOUT_MS} ms: its deadline failed\n${stderr}`);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return { code, report: readReport(last, stderr), stderr };
}

/** Checks the shape of the `--json` line instead of trusting it. */
function readReport(line: string, stderr: string): BenchRun["report"] {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(`bench printed no JSON line; stderr:\n${stderr}`);
  }
  if (
    typeof json !== "object" ||
    json === null ||
    !("ok" in json) ||
    !("results" in json) ||
    !Array.isArray(json.results)
  )
    throw new Error(`bench JSON lacks ok/results: ${line.slice(0, 200)}`);
  const summaries = json.results.flatMap((result: unknown) =>
    typeof result === "object" && result !== null && "summaries" in result && Array.isArray(result.summaries)
      ? result.summaries
      : [],
  );
  for (const s of summaries) {
    if (
      typeof s?.scenario !== "string" ||
      typeof s?.messages !== "number" ||
      typeof s?.errors !== "object" ||
      typeof s?.limited?.refused429 !== "number" ||
      typeof s?.limited?.rateCloses !== "number"
    )
      throw new Error(`bench JSON summary malformed: ${JSON.stringify(s)}`);
  }
  return { ok: json.ok === true, summaries };
}

describe("against the e2e server, every scenario verifies every message", () => {
  for (const scenario of ["pingpong", "connections", "throughput", "mixed", "storm", "fanout"]) {
    it(`${scenario} exits 0 with messages and zero errors`, async () => {
      const run = await runBench([`${inject("wsUrl")}/ws`, "--scenario", scenario, ...QUICK]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.report.ok).toBe(true);
      expect(run.report.summaries).toHaveLength(1);
      const [summary] = run.report.summaries;
      expect(summary?.scenario).toBe(scenario);
      expect(summary?.messages).toBeGreaterThan(0);
      expect(summary?.errors).toEqual({
        mismatches: 0,
        losses: 0,
        unexpectedCloses: 0,
        connectFailures: 0,
        timeouts: 0,
      });
    });
  }
});

describe("a URL with test controls", () => {
  it("passes the query through: with ?delay=100 every echo is verified and the round trip is the delay", async () => {
    const run = await runBench([`${inject("wsUrl")}/ws?delay=100`, "--scenario", "pingpong", ...QUICK]);
    expect(run.code, run.stderr).toBe(0);
    const summary: unknown = run.report.summaries[0];
    const latency =
      typeof summary === "object" && summary !== null && "latencyUs" in summary ? summary.latencyUs : null;
    const p50 = typeof latency === "object" && latency !== null && "p50" in latency ? latency.p50 : null;
    expect(p50).toBeGreaterThanOrEqual(100_000);
  });
});

describe("fanout with several senders", () => {
  it("verifies every sender's stream at every receiver and exits 0", async () => {
    const run = await runBench([`${inject("wsUrl")}/ws`, "--scenario", "fanout", ...QUICK, "--senders", "3"]);
    expect(run.code, run.stderr).toBe(0);
    const [summary] = run.report.summaries;
    // Three senders' messages reach five receivers: deliveries come in fives.
    expect(summary?.messages).toBeGreaterThan(0);
    expect((summary?.messages ?? 1) % 5).toBe(0);
    expect(summary?.errors).toEqual({ mismatches: 0, losses: 0, unexpectedCloses: 0, connectFailures: 0, timeouts: 0 });
  });
});

describe("fanout with ?history=0 on the URL", () => {
  it("joins the receivers positioned and verifies the messages inside their envelopes", async () => {
    const run = await runBench([`${inject("wsUrl")}/ws?history=0`, "--scenario", "fanout", ...QUICK, "--senders", "2"]);
    expect(run.code, run.stderr).toBe(0);
    const [summary] = run.report.summaries;
    expect(summary?.messages).toBeGreaterThan(0);
    expect((summary?.messages ?? 1) % 5).toBe(0);
    expect(summary?.errors).toEqual({ mismatches: 0, losses: 0, unexpectedCloses: 0, connectFailures: 0, timeouts: 0 });
  });
});

describe("against a wrong echo server, the errors are counted and the exit status is 1", () => {
  let server: WebSocketServer | null = null;
  afterEach(async () => {
    for (const client of server?.clients ?? []) client.terminate();
    await new Promise((done) => server?.close(done) ?? done(undefined));
    server = null;
  });

  /** A local echo server whose `answer` decides what goes back for the n-th message of a connection. */
  async function wrongEcho(answer: (data: Buffer, binary: boolean, n: number) => [Buffer, boolean] | null) {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(server, "listening");
    server.on("connection", (ws) => {
      let n = 0;
      ws.on("message", (data: RawData, binary: boolean) => {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        const reply = answer(bytes, binary, ++n);
        if (reply !== null) ws.send(reply[0], { binary: reply[1] });
      });
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the wrong echo server has no port");
    return `ws://127.0.0.1:${address.port}/`;
  }

  it("counts a flipped byte in every 10th echo as a mismatch", async () => {
    const url = await wrongEcho((data, binary, n) => {
      if (n % 10 === 0) data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 1;
      return [data, binary];
    });
    const run = await runBench([url, "--scenario", "pingpong", ...QUICK]);
    expect(run.code).toBe(EXIT_ERRORS);
    expect(run.report.ok).toBe(false);
    expect(run.report.summaries[0]?.errors.mismatches).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/differs from what was sent at byte/);
  });

  it("counts a dropped echo as a loss", async () => {
    const url = await wrongEcho((data, binary, n) => (n === 5 ? null : [data, binary]));
    const run = await runBench([url, "--scenario", "mixed", ...QUICK]);
    expect(run.code).toBe(EXIT_ERRORS);
    expect(run.report.summaries[0]?.errors.losses).toBeGreaterThan(0);
    expect(run.report.summaries[0]?.errors.mismatches).toBe(0);
  });

  it("counts text echoed back as binary as a mismatch", async () => {
    const url = await wrongEcho((data) => [data, true]);
    const run = await runBench([url, "--scenario", "pingpong", ...QUICK]);
    expect(run.code).toBe(EXIT_ERRORS);
    expect(run.report.summaries[0]?.errors.mismatches).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/came back as binary, sent as text/);
  });
});

describe("against a server that limits it (wrangler.toml's defaults: IP_LIMITS on, MAX_MESSAGES_PER_SECOND 100)", () => {
  let limiting: DevServer;
  let storage: string;
  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), "edge-echo-bench-limits-"));
    limiting = await startDevServer({}, { serviceDefaults: true, persistTo: storage });
  }, 90_000);
  afterAll(async () => {
    await limiting?.stop();
    await rm(storage, { recursive: true, force: true });
  });

  it("bench says the server closed it for its message rate, not that the server is slow", async () => {
    const run = await runBench([`${limiting.wsUrl}/ws`, "--scenario", "pingpong", ...QUICK]);
    expect(run.code).toBe(EXIT_ERRORS);
    expect(run.report.summaries[0]?.limited.rateCloses).toBe(1);
    expect(run.stderr).toMatch(
      /LIMITED pingpong on A: the server limited this run, so its figures are not its speed: 1 socket closed 1008 for its message rate \(serve it with MAX_MESSAGES_PER_SECOND=0\)/,
    );
  });

  it("bench says the server refused its handshakes with 429", async () => {
    // 150 sockets in a few seconds: over 60 a window even if the run spans two windows.
    const run = await runBench([`${limiting.wsUrl}/ws`, "--scenario", "storm", ...QUICK, "--sockets", "150"]);
    expect(run.code).toBe(EXIT_ERRORS);
    const [summary] = run.report.summaries;
    expect(summary?.limited.refused429).toBeGreaterThanOrEqual(30);
    expect(summary?.errors.connectFailures).toBe(summary?.limited.refused429);
    expect(run.stderr).toMatch(/HTTP 429 Too Many Requests \(Retry-After: 10\)/);
    expect(run.stderr).toMatch(
      /LIMITED storm on A: the server limited this run, so its figures are not its speed: \d+ handshakes refused with 429 by its per-address limits \(serve it with IP_LIMITS=off to measure it\)/,
    );
  });

  it("npm run load says so too, and fails", async () => {
    const child = spawn(process.execPath, ["scripts/load.ts", "--url", `${limiting.wsUrl}/ws`], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    expect(code, stdout).toBe(EXIT_ERRORS);
    expect(stdout).toMatch(
      /2000 sockets x 10 echoes: LIMITED: the server limited this run, so its figures are not its speed: \d+ handshakes refused with 429/,
    );
    expect(stdout).toMatch(/load: FAIL/);
  }, 120_000);
});
