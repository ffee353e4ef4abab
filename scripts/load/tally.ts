/**
 * What one load phase counted: messages, the failures that make the run fail,
 * and round-trip times for percentiles.
 */

/** Failures: any non-zero count in a strict phase makes `npm run load` exit non-zero. */
export interface Failures {
  /** Sent, never echoed. */
  lost: number;
  /** Echoed bytes or type differ from anything sent and still awaited. */
  mismatched: number;
  /** Echoed whole and correct, but before an earlier message. */
  reordered: number;
  /** Handshakes failed, sockets closed or errored by the server, phases past their deadline. */
  errors: number;
}

export class Tally {
  sent = 0;
  echoed = 0;
  readonly failures: Failures = { lost: 0, mismatched: 0, reordered: 0, errors: 0 };
  /** Round-trip times in ms, one per echo measured. */
  readonly rtts: number[] = [];
  /** The first few failures, described, to point at the cause. */
  readonly samples: string[] = [];

  fail(kind: keyof Failures, description: string, count = 1): void {
    if (count <= 0) return;
    this.failures[kind] += count;
    if (this.samples.length < 5) this.samples.push(`${kind}: ${description}`);
  }

  get failureCount(): number {
    const { lost, mismatched, reordered, errors } = this.failures;
    return lost + mismatched + reordered + errors;
  }
}

/** The `p`-th percentile (0-100) of `values`, nearest rank; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}
