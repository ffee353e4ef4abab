/**
 * Catch-ups running at the same time share their reads: after an object resets, its
 * members come back together, mostly from the same position, and each would otherwise
 * read every origin of the room. A read is shared only by catch-ups whose members were
 * held before it started: one that started earlier could miss a message delivered
 * between its start and a later member's hold. So for each origin and query one read is
 * in flight, and the next gathers whoever asks meanwhile, starting when the first ends.
 */
import type { HistoryQuery, HistoryRead, HistorySources } from "./sources";

interface Round<T> {
  /** What the round will ask, widened as catch-ups join it. */
  query: HistoryQuery | null;
  readonly waiting: { resolve(value: T): void; reject(error: unknown): void }[];
}

export class SharedReads {
  private readonly origins = new Rounds<number[]>();
  private readonly reads = new Rounds<HistoryRead>();

  /** `sources`, with its reads shared among the catch-ups of this object. */
  over(sources: HistorySources): HistorySources {
    return {
      origins: () => this.origins.join("origins", null, () => sources.origins()),
      read: (origin, query) =>
        this.reads.join(keyOf(origin, query), query, (asked) => sources.read(origin, asked ?? query)),
    };
  }
}

/** The rounds of one kind of read, by key. */
class Rounds<T> {
  /** Per key, the round that has not started yet. */
  private readonly pending = new Map<string, Round<T>>();
  /** Per key, the round in flight: the next one starts when it ends. */
  private readonly running = new Map<string, Promise<void>>();

  join(key: string, query: HistoryQuery | null, run: (query: HistoryQuery | null) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting !== undefined) {
        waiting.query = widened(waiting.query, query);
        waiting.waiting.push({ resolve, reject });
        return;
      }
      const round: Round<T> = { query, waiting: [{ resolve, reject }] };
      this.pending.set(key, round);
      // Started a microtask from now at the earliest, so that whoever asks in this turn comes along.
      const started = (this.running.get(key) ?? Promise.resolve()).then(async () => {
        this.pending.delete(key);
        try {
          const value = await run(round.query);
          for (const one of round.waiting) one.resolve(value);
        } catch (error) {
          for (const one of round.waiting) one.reject(error);
        }
      });
      this.running.set(key, started);
      void started.then(() => {
        if (this.running.get(key) === started) this.running.delete(key);
      });
    });
  }
}

/** Reads for a join's last N share one key per origin (the round asks the most); others only when equal. */
function keyOf(origin: number, query: HistoryQuery): string {
  return "last" in query ? `${origin}:last` : `${origin}:${JSON.stringify(query)}`;
}

/**
 * A query that answers both: for a join's last N, the most messages and the earliest time,
 * a superset each catch-up filters for itself (`lastMessages`); other queries share a key only when equal.
 */
function widened(a: HistoryQuery | null, b: HistoryQuery | null): HistoryQuery | null {
  if (a !== null && b !== null && "last" in a && "last" in b)
    return { last: Math.max(a.last, b.last), from: Math.min(a.from, b.from) };
  return a;
}
