/** The command line of `npm run bench`: parsing, validation and `--help`. */
import { parseArgs } from "node:util";
import type { LoadSettings } from "./context.ts";
import { MAX_STREAMS, MIN_MESSAGE_BYTES } from "./payload.ts";
import { bytes, isScenarioName, SCENARIO_NAMES, type ScenarioName } from "./scenarios/index.ts";
import { parseSize } from "./size.ts";

/** The workers platform's cap on one message; the Go server uses the same. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export interface BenchOptions {
  url: URL;
  /** A second server, run interleaved with the first; ratios are url / against. */
  against: URL | null;
  scenarios: ScenarioName[];
  rounds: number;
  settings: LoadSettings;
  connectTimeoutMs: number;
  /** Hard cap on the whole run, or `null` for one computed from the settings. */
  deadlineMs: number | null;
  json: boolean;
  markdown: string | null;
}

export type Parsed = { kind: "help" } | { kind: "run"; options: BenchOptions } | { kind: "error"; message: string };

/** Defaults of the options that have one; `--help` prints them. */
export const DEFAULTS = {
  seconds: 5,
  sockets: 500,
  concurrency: 50,
  holdMs: 1000,
  receivers: 10,
  senders: 1,
  connectTimeoutMs: 10_000,
  drainMs: 5_000,
  closeTimeoutMs: 2_000,
};

const OPTIONS = {
  scenario: { type: "string", multiple: true },
  seconds: { type: "string" },
  connections: { type: "string" },
  window: { type: "string" },
  size: { type: "string" },
  sockets: { type: "string" },
  concurrency: { type: "string" },
  hold: { type: "string" },
  receivers: { type: "string" },
  senders: { type: "string" },
  against: { type: "string" },
  rounds: { type: "string" },
  "connect-timeout": { type: "string" },
  drain: { type: "string" },
  deadline: { type: "string" },
  json: { type: "boolean" },
  markdown: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses `argv` (without `node` and the script); never throws. */
export function parseBenchArgs(argv: string[]): Parsed {
  let values: ReturnType<typeof parse>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: "help" };
  try {
    return { kind: "run", options: validate(values, positionals) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: "error", message: error.message };
    throw error;
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

class UsageError extends Error {}

function validate(values: ReturnType<typeof parse>["values"], positionals: string[]): BenchOptions {
  if (positionals.length !== 1) throw new UsageError("give exactly one ws:// or wss:// URL");
  const url = wsUrl(positionals[0] ?? "", "URL");
  const against = values.against === undefined ? null : wsUrl(values.against, "--against");

  const scenarios: ScenarioName[] = [];
  for (const name of (values.scenario ?? []).flatMap((list) => list.split(","))) {
    if (!isScenarioName(name))
      throw new UsageError(`unknown scenario ${JSON.stringify(name)}; one of ${SCENARIO_NAMES.join(", ")}`);
    if (!scenarios.includes(name)) scenarios.push(name);
  }

  const size = values.size === undefined ? null : parseSize(values.size);
  if (size === null && values.size !== undefined)
    throw new UsageError(`--size ${values.size}: not a size like 32, 64KiB, 1MiB`);
  if (size !== null && (size < MIN_MESSAGE_BYTES || size > MAX_MESSAGE_BYTES))
    throw new UsageError(`--size must be from ${MIN_MESSAGE_BYTES} B to ${bytes(MAX_MESSAGE_BYTES)}`);

  const settings: LoadSettings = {
    seconds: number(values.seconds, "--seconds", DEFAULTS.seconds, 0.1, 3600),
    connections: optionalInteger(values.connections, "--connections", 1, 10_000),
    window: optionalInteger(values.window, "--window", 1, 10_000),
    size,
    sockets: integer(values.sockets, "--sockets", DEFAULTS.sockets, 1, 100_000),
    concurrency: integer(values.concurrency, "--concurrency", DEFAULTS.concurrency, 1, 10_000),
    holdMs: integer(values.hold, "--hold", DEFAULTS.holdMs, 0, 600_000),
    receivers: integer(values.receivers, "--receivers", DEFAULTS.receivers, 1, 100_000),
    senders: integer(values.senders, "--senders", DEFAULTS.senders, 1, MAX_STREAMS),
    drainMs: number(values.drain, "--drain", DEFAULTS.drainMs / 1000, 0, 600) * 1000,
    closeTimeoutMs: DEFAULTS.closeTimeoutMs,
  };
  return {
    url,
    against,
    scenarios: scenarios.length > 0 ? scenarios : [...SCENARIO_NAMES],
    rounds: integer(values.rounds, "--rounds", against === null ? 1 : 3, 1, 1000),
    settings,
    connectTimeoutMs:
      number(values["connect-timeout"], "--connect-timeout", DEFAULTS.connectTimeoutMs / 1000, 0.1, 600) * 1000,
    deadlineMs: values.deadline === undefined ? null : number(values.deadline, "--deadline", 0, 1, 86_400) * 1000,
    json: values.json ?? false,
    markdown: values.markdown ?? null,
  };
}

function wsUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:")
    throw new UsageError(`${what} must start with ws:// or wss://, got ${url.protocol}//`);
  return url;
}

function number(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max)
    throw new UsageError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  const value = number(text, name, fallback, min, max);
  if (!Number.isInteger(value)) throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return value;
}

function optionalInteger(text: string | undefined, name: string, min: number, max: number): number | null {
  return text === undefined ? null : integer(text, name, 0, min, max);
}
