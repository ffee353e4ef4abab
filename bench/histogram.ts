/**
 * A log-linear histogram of non-negative integers (microseconds here): exact
 * below 256, then 128 buckets per power of two, so any percentile is within
 * 0.8 % of the true value in constant memory, however many samples arrive.
 */

/** Buckets per power of two above the exact range; sets the precision (1/128). */
const SUB_BUCKETS = 128;
const SUB_BITS = 7;
/** Values below this get a bucket each. */
const EXACT_LIMIT = 2 * SUB_BUCKETS;
/** 2^31 µs is 35 minutes: anything slower is clamped, not lost. */
const MAX_VALUE = 2 ** 31 - 1;
const BUCKETS = (31 - SUB_BITS) * SUB_BUCKETS + EXACT_LIMIT;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** Number of samples recorded. */
  count = 0;
  /** Smallest sample, or `Infinity` when empty. */
  min = Number.POSITIVE_INFINITY;
  /** Largest sample, or 0 when empty. */
  max = 0;

  /** Records one sample; negatives count as 0, fractions are rounded. */
  record(value: number): void {
    const v = Math.min(MAX_VALUE, Math.max(0, Math.round(value)));
    const index = indexOf(v);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** The value at percentile `p` (0 to 100), or `null` when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, middleOf(i)));
    }
    return this.max;
  }
}

function indexOf(value: number): number {
  if (value < EXACT_LIMIT) return value;
  const shift = 31 - Math.clz32(value) - SUB_BITS;
  return shift * SUB_BUCKETS + (value >>> shift);
}

/** The middle of bucket `index`: the estimate with the smallest worst-case error. */
function middleOf(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const low = (index - shift * SUB_BUCKETS) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}
