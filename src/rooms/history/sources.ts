/**
 * What a room's history is read from: its origins (the room's objects, and those it
 * dropped lately), each asked for a page of its messages. Below both the rules of a
 * catch-up (./catch-up.ts) and the reading of one origin to its end (./read-through.ts).
 */
import type { Entry, Extent } from "./store";

/** What one origin is asked for. */
export type HistoryQuery =
  | { readonly after: number }
  /** The last `last` messages, and every one from the time `from` on: a join's, in one call. */
  | { readonly last: number; readonly from: number };

/** One origin's answer: where its history stands, and the messages asked for (one page). */
export interface HistoryRead {
  readonly extent: Extent;
  readonly entries: readonly Entry[];
}

/** The room's origins and their histories, wherever they live. */
export interface HistorySources {
  /** Every origin whose history may hold messages: the room's objects and those it dropped lately. */
  origins(): Promise<number[]>;
  read(origin: number, query: HistoryQuery): Promise<HistoryRead>;
}
