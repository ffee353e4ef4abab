/**
 * Runs scenarios against one or more servers, interleaved (A B A B ...) so that
 * a noisy machine slows every server alike, and merges each server's rounds.
 * Every run has a hard deadline: when it passes, the run's sockets are cut, a
 * timeout is counted, and the next run starts.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { LoadSettings, RunContext } from "./context.ts";
import type { Progress } from "./progress.ts";
import { SCENARIOS, type ScenarioName } from "./scenarios/index.ts";
import { SocketPool } from "./sockets.ts";
import { RunStats, type Summary, summarize } from "./stats.ts";

/** A server to measure. */
export interface Target {
  /** Short name for tables: `A`, `B`, `wrangler dev`, `Go`. */
  label: string;
  url: URL;
}

export interface Plan {
  scenarios: ScenarioName[];
  targets: Target[];
  rounds: number;
  settings: LoadSettings;
  connectTimeoutMs: number;
}

/** One scenario's figures, one summary per target in the plan's order. */
export interface ScenarioResult {
  scenario: ScenarioName;
  description: string;
  summaries: Summary[];
}

/** Lets the server finish closing the last run's sockets before the next run. */
const PAUSE_BETWEEN_RUNS_MS = 300;
/** Slack on top of a run's own time limits before its hard deadline. */
const DEADLINE_SLACK_MS = 5_000;

/** How long one run may take before it is cut: every phase at its time limit, plus slack. */
export function runDeadlineMs(settings: LoadSettings, connectTimeoutMs: number): number {
  return (
    2 * connectTimeoutMs +
    settings.seconds * 1000 +
    settings.drainMs +
    settings.holdMs +
    settings.closeTimeoutMs +
    DEADLINE_SLACK_MS
  );
}

/** How long the whole plan may take, if every run hits its deadline. */
export function planDeadlineMs(plan: Plan): number {
  const runs = plan.scenarios.length * plan.targets.length * plan.rounds;
  return runs * (runDeadlineMs(plan.settings, plan.connectTimeoutMs) + PAUSE_BETWEEN_RUNS_MS);
}

export async function runPlan(plan: Plan, progress: Progress | null = null): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of plan.scenarios) {
    const merged = plan.targets.map(() => new RunStats());
    for (let round = 1; round <= plan.rounds; round++) {
      for (const [index, target] of plan.targets.entries()) {
        const label = `${scenario} ${target.label}${plan.rounds > 1 ? ` round ${round}/${plan.rounds}` : ""}`;
        merged[index]?.merge(await runOnce(scenario, target, plan, label, progress));
        await delay(PAUSE_BETWEEN_RUNS_MS);
      }
    }
    results.push({
      scenario,
      description: SCENARIOS[scenario].describe(plan.settings),
      summaries: plan.targets.map((target, index) =>
        summarize(scenario, target.label, target.url.href, plan.rounds, merged[index] ?? new RunStats()),
      ),
    });
  }
  return results;
}

async function runOnce(
  scenario: ScenarioName,
  target: Target,
  plan: Plan,
  label: string,
  progress: Progress | null,
): Promise<RunStats> {
  const stats = new RunStats();
  const controller = new AbortController();
  const pool = new SocketPool(stats, controller.signal, plan.connectTimeoutMs);
  const ctx: RunContext = { url: target.url, settings: plan.settings, stats, pool, signal: controller.signal };
  const limitMs = runDeadlineMs(plan.settings, plan.connectTimeoutMs);
  const deadline = setTimeout(() => {
    stats.fail("timeouts", `${label}: did not finish within its ${limitMs / 1000} s deadline`);
    controller.abort();
  }, limitMs);
  const aborted = new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve()));
  progress?.start(label, stats);
  try {
    await Promise.race([SCENARIOS[scenario].run(ctx), aborted]);
  } finally {
    clearTimeout(deadline);
    controller.abort();
    pool.terminateAll();
    progress?.stop();
  }
  return stats;
}
