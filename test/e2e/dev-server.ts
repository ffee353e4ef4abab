/**
 * Starts `wrangler dev` on a free loopback port for tests and scripts that need a
 * real server, and stops it (with its whole process group) afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const READY_TIMEOUT_MS = 60_000;

export interface DevServer {
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsUrl: string;
  /** Everything it printed so far (its logs included). */
  output(): string;
  /** The port it listens on, to start another on the same one after `kill`. */
  readonly port: number;
  stop(): Promise<void>;
  /** Ends it at once with SIGKILL (its whole process group), as a crash would: no cleanup runs. */
  kill(): Promise<void>;
}

/**
 * What every server started here changes from wrangler.toml's defaults, unless it is asked
 * for those (`serviceDefaults`): tests, benches and the load run reach it from one address
 * (127.0.0.1), open hundreds of sockets a second and pipeline messages far faster than a
 * person sends them, so the per-address limits and the per-connection message rate would
 * refuse them. `vars` given to `startDevServer` override these.
 */
export const LOAD_VARS: Readonly<Record<string, string>> = { IP_LIMITS: "off", MAX_MESSAGES_PER_SECOND: "0" };

export interface DevServerOptions {
  /** Keep Durable Object storage in this folder (`--persist-to`), so a restart on it finds it again. */
  persistTo?: string;
  /** Listen here rather than on a fresh free port. */
  port?: number;
  /** Serve with wrangler.toml's defaults, limits included, rather than `LOAD_VARS` beneath `vars`. */
  serviceDefaults?: boolean;
}

/**
 * Vars for a server that one address (this machine) joins with more sockets per room
 * than a public deploy allows one address (ROOM_MAX_PER_ADDRESS, default 100), or
 * with one token more often than ROOM_MAX_PER_USER (default 10): both caps off.
 */
export const UNCAPPED_ROOMS = { ROOM_MAX_PER_ADDRESS: "0", ROOM_MAX_PER_USER: "0" } as const;

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("could not get a free port");
  return address.port;
}

/** Starts `wrangler dev`; `vars` (over `LOAD_VARS`) override wrangler.toml's `[vars]` (as `--var NAME:VALUE`). */
export async function startDevServer(
  vars: Record<string, string> = {},
  options: DevServerOptions = {},
): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)];
  if (options.persistTo !== undefined) args.push("--persist-to", options.persistTo);
  const overrides = options.serviceDefaults === true ? vars : { ...LOAD_VARS, ...vars };
  for (const [name, value] of Object.entries(overrides)) args.push("--var", `${name}:${value}`);
  const child = spawn(resolve(ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: ROOT,
    detached: true, // its own process group, so stop() also ends workerd
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // A server that dies mid-run fails every test after it with a refused connection: say why once, here.
  let ending = true; // until it is ready, a failure to start throws with its output below
  child.on("exit", (code, signal) => {
    if (!ending)
      console.error(
        `wrangler dev on port ${port} exited (${code ?? signal}) unasked; it printed last:\n${output.slice(-4_000)}`,
      );
  });

  const httpUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${httpUrl}/info`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      kill(child);
      throw new Error(`wrangler dev did not answer on ${httpUrl} within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  ending = false;
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    ending = true;
    const exited = once(child, "exit");
    kill(child, signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };
  return {
    httpUrl,
    wsUrl: httpUrl.replace("http:", "ws:"),
    port,
    output: () => output,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
