/**
 * The scenarios, by name: what each measures and its defaults. `--connections`,
 * `--window` and `--size` override the defaults where the scenario has them.
 */
import type { LoadSettings, RunContext } from "../context.ts";
import { echoLoadFrom, runEchoLoad } from "./echo-load.ts";
import { runFanout } from "./fanout.ts";
import { runStorm } from "./storm.ts";

export interface Scenario {
  /** One line for `--help` and the reports. */
  readonly describe: (settings: LoadSettings) => string;
  readonly run: (ctx: RunContext) => Promise<void>;
}

const KIB = 1024;

export const SCENARIOS = {
  pingpong: {
    describe: (s) => `latency: 1 connection, 1 message in flight, ${bytes(s.size ?? 32)} text`,
    run: (ctx) =>
      runEchoLoad(ctx, { connections: 1, window: 1, size: ctx.settings.size ?? 32, kind: "text", mixedSizes: false }),
  },
  connections: {
    describe: (s) => {
      const load = echoLoadFrom(s, { connections: 50, window: 1, size: 32 });
      return `${load.connections} connections, ${load.window} in flight each, ${bytes(load.size)} text`;
    },
    run: (ctx) =>
      runEchoLoad(ctx, {
        ...echoLoadFrom(ctx.settings, { connections: 50, window: 1, size: 32 }),
        kind: "text",
        mixedSizes: false,
      }),
  },
  throughput: {
    describe: (s) => {
      const load = echoLoadFrom(s, { connections: 1, window: 8, size: 64 * KIB });
      return `${load.connections} connection(s), ${load.window} in flight each, ${bytes(load.size)} binary`;
    },
    run: (ctx) =>
      runEchoLoad(ctx, {
        ...echoLoadFrom(ctx.settings, { connections: 1, window: 8, size: 64 * KIB }),
        kind: "binary",
        mixedSizes: false,
      }),
  },
  mixed: {
    describe: (s) => {
      const load = echoLoadFrom(s, { connections: 10, window: 4, size: 4 * KIB });
      return `${load.connections} connections, ${load.window} in flight each, text and binary in turn, 16 B to ${bytes(load.size)}`;
    },
    run: (ctx) =>
      runEchoLoad(ctx, {
        ...echoLoadFrom(ctx.settings, { connections: 10, window: 4, size: 4 * KIB }),
        kind: "alternate",
        mixedSizes: true,
      }),
  },
  storm: {
    describe: (s) =>
      `open ${s.sockets} sockets, ${s.concurrency} handshakes at a time, echo ${bytes(s.size ?? 32)} on each, hold ${s.holdMs} ms, close`,
    run: (ctx) => {
      const { sockets, concurrency, holdMs, size } = ctx.settings;
      return runStorm(ctx, { sockets, concurrency, holdMs, size: size ?? 32 });
    },
  },
  fanout: {
    describe: (s) =>
      `${s.senders} sender${s.senders === 1 ? "" : "s"}, ${s.receivers} receivers in a fresh /rooms/:name, ${s.window ?? 4} in flight each, ${bytes(s.size ?? 32)} text and binary`,
    run: (ctx) => {
      const { receivers, senders, concurrency, window, size } = ctx.settings;
      return runFanout(ctx, { receivers, senders, concurrency, window: window ?? 4, size: size ?? 32 });
    },
  },
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

/** `32 B`, `64 KiB`, `1.5 MiB`. */
export function bytes(n: number): string {
  if (n >= KIB * KIB) return `${+(n / (KIB * KIB)).toFixed(2)} MiB`;
  if (n >= KIB) return `${+(n / KIB).toFixed(2)} KiB`;
  return `${n} B`;
}
