/**
 * What a positioned join replays, gathered from every origin of the room: after a
 * member's `since` (resume), or its last N messages (`?history=N`). Pure over the
 * `HistorySources` it is handed, so the rules are tested apart from the objects.
 *
 * No rule here compares times of different objects: an origin a position names is
 * read after its mark, and one it does not name stands for none of its messages
 * (see position.ts), so clock skew, relay latency and two messages in the same
 * millisecond cannot hide a message.
 */

import { byTime } from "./by-time";
import { advanced, encodePosition, type Mark, type Position } from "./position";
import { readOn, readThrough } from "./read-through";
import type { HistoryQuery, HistoryRead, HistorySources } from "./sources";
import type { Entry, Extent } from "./store";

/** What a positioned member receives before going live. */
export interface CatchUp {
  /** The `joined` frame's position: where the membership starts. */
  readonly start: Position;
  readonly recovered: boolean;
  /** With `recovered: false`: where each origin's history now starts. */
  readonly historyStart: Position | null;
  /** In the order to send them, each with the member's position after it. */
  readonly replay: readonly { readonly entry: Entry; readonly position: string }[];
  /** Per origin, the last offset the member has once the replay is sent: live messages up to it are skipped. */
  readonly floors: ReadonlyMap<number, Mark>;
  /** The member's position after the replay. */
  readonly end: Position;
}

/** A query that returns no message, only where the origin's history stands. */
const EXTENT_ONLY: HistoryQuery = { after: Number.MAX_SAFE_INTEGER };

/**
 * A join with `since`: every message after it, per origin, in time order, unless some
 * origin cannot honour it. `since` null: from the start of every origin's window (a
 * `GET …/history` without `since`). An origin `since` names that the room does not know
 * (not one of `sources.origins()`) makes the answer `recovered: false`, is never read,
 * and is not carried into any position.
 */
export async function resume(since: Position | null, sources: HistorySources, now: number): Promise<CatchUp> {
  const origins = await sources.origins();
  const known = new Set(origins);
  const strangers = since !== null && [...since.marks.keys()].some((origin) => !known.has(origin));
  const firsts = await Promise.all(
    origins.map(async (origin) => {
      const mark = since?.marks.get(origin);
      const query = strangers ? EXTENT_ONLY : { after: mark?.offset ?? 0 };
      return { origin, mark, read: await sources.read(origin, query) };
    }),
  );
  // Further pages only for a replay: an origin that cannot honour `since` ends the catch-up here.
  const replaying = !strangers && firsts.every(({ mark, read }) => since === null || honours(read.extent, mark));
  const reads = !replaying
    ? firsts.map((first) => ({ ...first, read: { ...first.read, broken: false } }))
    : await Promise.all(
        firsts.map(async (first) => ({ ...first, read: await readOn(sources, first.origin, first.read) })),
      );
  const recovered = replaying && reads.every(({ read }) => !read.broken);
  if (!recovered) {
    const ends = marksOf(reads.map(({ origin, read }) => [origin, read.extent.epoch, read.extent.end]));
    const starts = marksOf(reads.map(({ origin, read }) => [origin, read.extent.epoch, read.extent.first - 1]));
    const start = { time: now, marks: ends };
    return {
      start,
      recovered: false,
      historyStart: { time: now, marks: starts },
      replay: [],
      floors: ends,
      end: start,
    };
  }
  // From the window's start, each origin starts where its history does; otherwise where `since` has it.
  const start: Position = {
    time: since?.time ?? 0,
    marks: marksOf(
      reads.map(({ origin, mark, read }) => [
        origin,
        mark?.epoch ?? read.extent.epoch,
        since === null ? read.extent.first - 1 : (mark?.offset ?? 0),
      ]),
    ),
  };
  return replayed(
    start,
    byTime(reads.map(({ read }) => read.entries)),
    true,
    null,
    sentThrough(
      start,
      reads.map(({ origin, read }) => [origin, read.entries]),
    ),
  );
}

/**
 * Whether an origin's history still holds every message after `mark`: its epoch, and
 * nothing it dropped past the mark. No mark stands for none of the origin's messages:
 * honoured only while it has dropped none of its epoch.
 */
function honours(extent: Extent, mark: Mark | undefined): boolean {
  if (mark === undefined) return extent.first <= 1;
  return mark.epoch === extent.epoch && mark.offset >= extent.first - 1 && mark.offset <= extent.end;
}

/**
 * A join with `?history=N`: the room's last N messages before the join, and every
 * message since (sent while this was being gathered), in time order. Which messages
 * are "the last N" across objects is a matter of their times; the member's marks and
 * floors follow exactly what it is sent.
 */
export async function lastMessages(
  count: number,
  sources: HistorySources,
  now: number,
  joinedAt: number,
): Promise<CatchUp> {
  const origins = await sources.origins();
  const reads = await Promise.all(
    origins.map(async (origin) => ({
      origin,
      read: await readThrough(sources, origin, { last: count, from: joinedAt }),
    })),
  );
  const before = byTime(reads.map(({ read }) => read.entries.filter((entry) => entry.time < joinedAt)));
  const after = reads.flatMap(({ read }) => read.entries.filter((entry) => entry.time >= joinedAt));
  const keep = new Set([...(count === 0 ? [] : before.slice(-count)), ...after]);
  // Per origin, from its first message kept on: its own order has no holes.
  const taken = reads.map(({ origin, read }) => {
    const first = read.entries.findIndex((entry) => keep.has(entry));
    return { origin, read, entries: first < 0 ? [] : read.entries.slice(first) };
  });
  const start: Position = {
    time: now,
    marks: marksOf(
      taken.map(({ origin, read, entries }) => {
        const first = entries[0];
        const offset = first === undefined ? lastOffset(read) : first.offset - 1;
        return [origin, read.extent.epoch, offset];
      }),
    ),
  };
  const floors = marksOf(taken.map(({ origin, read }) => [origin, read.extent.epoch, lastOffset(read)]));
  return replayed(start, byTime(taken.map(({ entries }) => entries)), true, null, floors);
}

function replayed(
  start: Position,
  entries: readonly Entry[],
  recovered: boolean,
  historyStart: Position | null,
  floors: Map<number, Mark>,
): CatchUp {
  let position = start;
  const replay = entries.map((entry) => {
    position = advanced(position, entry.origin, { epoch: entry.epoch, offset: entry.offset }, entry.time);
    return { entry, position: encodePosition(position) };
  });
  return { start, recovered, historyStart, replay, floors, end: position };
}

/** Per origin, the last offset the member has once `entries` are sent after `start`. */
function sentThrough(start: Position, perOrigin: readonly [number, readonly Entry[]][]): Map<number, Mark> {
  const floors = new Map(start.marks);
  for (const [origin, entries] of perOrigin) {
    const last = entries.at(-1);
    if (last !== undefined) floors.set(origin, { epoch: last.epoch, offset: last.offset });
  }
  return floors;
}

/** The last offset an origin's answer went through: its last message read, or else the end of its history. */
function lastOffset(read: HistoryRead): number {
  return read.entries.at(-1)?.offset ?? read.extent.end;
}

/** Marks from [origin, epoch, offset]; a mark at offset 0 says nothing a missing one does not (position.ts). */
function marksOf(marks: readonly (readonly [number, string, number])[]): Map<number, Mark> {
  return new Map(
    marks.filter(([, , offset]) => offset > 0).map(([origin, epoch, offset]) => [origin, { epoch, offset }]),
  );
}
