/**
 * How long a catch-up waits on another object. A read that never answers (an object
 * stuck, a call lost) must neither hang its member's join nor hold the joins queued
 * behind it: past the deadline the read fails, and the member is closed 1011 with
 * `CATCH_UP_TIMEOUT_REASON` to rejoin, as for any read that fails.
 */
import type { HistorySources } from "./sources";

/** Most time one read of another object's history (a page, or one large message) may take. */
export const READ_DEADLINE_MS = 5_000;

/** The close reason (with 1011) for a positioned join whose catch-up passed its deadline. */
export const CATCH_UP_TIMEOUT_REASON = "the room's history did not answer in time; rejoin";

/** A read of history that passed `READ_DEADLINE_MS`. */
export class ReadTimeoutError extends Error {
  override readonly name = "ReadTimeoutError";
}

/** `promise`, or a `ReadTimeoutError` once `ms` have passed. */
export function withDeadline<T>(promise: Promise<T>, what: string, ms = READ_DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** `sources`, each call bounded by `READ_DEADLINE_MS`. */
export function bounded(sources: HistorySources): HistorySources {
  return {
    origins: () => withDeadline(sources.origins(), "the room's directory"),
    read: (origin, query) => withDeadline(sources.read(origin, query), `shard ${origin}'s history`),
  };
}
