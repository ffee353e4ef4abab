/**
 * The verified fan-out run that the interleaved benchmarks (`bench:auth`,
 * `bench:history`) share: 4 senders, 4 messages of 32 B in flight each, the given
 * receivers, every target in turn for `rounds` turns.
 */
import { DEFAULTS } from "./args.ts";
import type { LoadSettings } from "./context.ts";
import type { Plan } from "./runner.ts";

export function fanoutPlan(
  targets: { label: string; url: URL }[],
  receivers: number,
  seconds: number,
  rounds: number,
): Plan {
  const settings: LoadSettings = {
    ...DEFAULTS,
    seconds,
    receivers,
    senders: 4,
    window: 4,
    connections: null,
    size: 32,
    concurrency: 50,
    // Hundreds of sockets take a while to close under wrangler dev; the next turn waits for them.
    closeTimeoutMs: 10_000,
  };
  return { scenarios: ["fanout"], targets, rounds, settings, connectTimeoutMs: 10_000 };
}
