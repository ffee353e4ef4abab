/**
 * Delayed echoes (`delay`, `jitter`): each reply waits its own delay, yet never
 * overtakes an earlier one, so the echo keeps its order whatever the jitter.
 */
import type { Scheduler } from "./timers";

/**
 * When an echo of a message that arrived at `arrivedAt` goes out: `delayMs` plus a random
 * share of `jitterMs` later, and never before the echo due before it (`previousDueAt`).
 * `random` is in [0, 1), as `Math.random()`.
 */
export function echoDueAt(
  arrivedAt: number,
  delayMs: number,
  jitterMs: number,
  random: number,
  previousDueAt: number,
): number {
  const jitter = Math.floor(random * (jitterMs + 1)); // 0..jitterMs inclusive
  return Math.max(arrivedAt + delayMs + jitter, previousDueAt);
}

interface Held<T> {
  readonly reply: T;
  readonly bytes: number;
  readonly dueAt: number;
}

/** Replies held back until their time, sent in the order they were held. */
export class DelayedEchoes<T> {
  private readonly queue: Held<T>[] = [];
  private lastDueAt = 0;
  /** Bytes held and not yet sent: they count as unsent, like the runtime's own send queue. */
  heldBytes = 0;

  constructor(
    private readonly timers: Scheduler,
    private readonly delayMs: number,
    private readonly jitterMs: number,
    private readonly send: (reply: T, bytes: number) => void,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Holds `reply` (of `bytes`) until its due time. */
  hold(reply: T, bytes: number): void {
    const now = this.now();
    const dueAt = echoDueAt(now, this.delayMs, this.jitterMs, this.random(), this.lastDueAt);
    this.lastDueAt = dueAt;
    this.queue.push({ reply, bytes, dueAt });
    this.heldBytes += bytes;
    // One timer at a time, for the head: the ones behind it cannot be due earlier.
    if (this.queue.length === 1) this.timers.after(dueAt - now, () => this.release());
  }

  /** Sends the head (its timer fired) and everything else already due, then waits for the next. */
  private release(): void {
    const now = this.now();
    let first = true;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (head === undefined || (!first && head.dueAt > now)) break;
      first = false;
      this.queue.shift();
      this.heldBytes -= head.bytes;
      this.send(head.reply, head.bytes);
    }
    const next = this.queue[0];
    if (next !== undefined) this.timers.after(Math.max(0, next.dueAt - now), () => this.release());
  }
}
