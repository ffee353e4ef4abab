/**
 * The servers `npm run bench:compare` measures besides `wrangler dev`: the Go
 * reference (bench/go) and the Worker's own bundle under plain workerd, through
 * Miniflare, without the proxy worker `wrangler dev` puts in front of it.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { freePort, LOAD_VARS, UNCAPPED_ROOMS } from "../../test/e2e/dev-server.ts";

const ROOT = resolve(import.meta.dirname, "../..");
/**
 * The Miniflare that wrangler itself loads (it may pin a newer one than the
 * top-level package), so plain workerd and `wrangler dev` run the same workerd.
 */
const { Miniflare, convertV4MiniflareOptions } = createRequire(import.meta.resolve("wrangler"))(
  "miniflare",
) as typeof import("miniflare");
const READY_TIMEOUT_MS = 30_000;
const QUIET_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" };

export interface Server {
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: URL;
  stop(): Promise<void>;
}

/** Runs `npm run bench:go` (bench/go/build.sh); throws with its output if the build fails. */
export function buildGoServer(): void {
  const result = spawnSync("bash", [resolve(ROOT, "bench/go/build.sh")], { encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`bench/go/build.sh failed (${result.status}):\n${result.stdout}${result.stderr}`);
}

/** Starts the built Go echo server on a free loopback port. */
export async function startGoServer(): Promise<Server> {
  const port = await freePort();
  const child = spawn(resolve(ROOT, "bench/go/echo-server"), ["-addr", `127.0.0.1:${port}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitForPort(port, () => (child.exitCode === null ? null : `the Go server exited ${child.exitCode}: ${output}`));
  return {
    wsUrl: new URL(`ws://127.0.0.1:${port}/ws`),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await Promise.race([exited, delay(5_000)]);
    },
  };
}

/**
 * Builds the Worker as `wrangler deploy` would and serves it from workerd via
 * Miniflare, with wrangler.toml's bindings (vars, the Room Durable Object, assets) and
 * `LOAD_VARS`, `UNCAPPED_ROOMS` and then `vars` over its vars.
 */
export async function startPlainWorkerd(vars: Record<string, string> = {}): Promise<Server> {
  const outdir = mkdtempSync(join(tmpdir(), "edge-echo-bundle-"));
  const removeBundle = () => rmSync(outdir, { recursive: true, force: true });
  try {
    const build = spawnSync(resolve(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: ROOT,
      encoding: "utf8",
      env: QUIET_ENV,
    });
    if (build.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${build.stdout}${build.stderr}`);
    const port = await freePort();
    // Module rules only matter for unbundled sources; the bundle is one ES module.
    const { modulesRules: _, ...worker } = unstable_getMiniflareWorkerOptions(
      resolve(ROOT, "wrangler.toml"),
    ).workerOptions;
    // wrangler describes the Worker in Miniflare's v4 option shape; this Miniflare takes v5.
    const options = convertV4MiniflareOptions({
      host: "127.0.0.1",
      port,
      // The Worker logs one JSON line per connection; the bench needs none of them.
      handleStructuredLogs: () => {},
      logRequests: false,
      // Module names are paths below modulesRoot; the bundle lives outside the repo.
      workers: [
        {
          ...worker,
          // As the wrangler dev it is compared with: no limits or caps on the bench's one address.
          bindings: {
            ...(typeof worker.bindings === "object" ? worker.bindings : {}),
            ...LOAD_VARS,
            ...UNCAPPED_ROOMS,
            ...vars,
          },
          name: "edge-echo",
          modules: true,
          modulesRoot: outdir,
          scriptPath: join(outdir, "index.js"),
        },
      ],
    });
    const miniflare = new Miniflare(options);
    await miniflare.ready.catch(async (error: unknown) => {
      await miniflare.dispose();
      throw error;
    });
    return {
      wsUrl: new URL(`ws://127.0.0.1:${port}/ws`),
      async stop() {
        await miniflare.dispose();
        removeBundle();
      },
    };
  } catch (error) {
    removeBundle();
    throw error;
  }
}

/** Resolves once something accepts TCP connections on `port`; `failure()` names why it never will. */
async function waitForPort(port: number, failure: () => string | null): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    const why = failure();
    if (why !== null) throw new Error(why);
    const accepted = await new Promise<boolean>((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (accepted) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`);
    await delay(100);
  }
}
