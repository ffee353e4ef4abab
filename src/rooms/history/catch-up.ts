/**
 * What a positioned join replays, gathered from every origin of the room: after a
 * member's `since` (resume), or its last N messages (`?history=N`). Pure over the
 * `HistorySources` it is handed, so the rules are tested apart from the objects.
 */
import { advanced, encodePosition, type Mark, type Position } from "./position";
import type { Entry, Extent } from "./store";

/** What one origin is asked for. */
export type HistoryQuery =
  | { readonly after: number }
  | { readonly newerThan: number }
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

/** A join with `since`: every message after it, per origin, in time order, unless some origin cannot honour it. */
export async function resume(since: Position, sources: HistorySources, now: number): Promise<CatchUp> {
  const origins = [...new Set([...since.marks.keys(), ...(await sources.origins())])].sort((a, b) => a - b);
  const reads = await Promise.all(
    origins.map(async (origin) => {
      const mark = since.marks.get(origin);
      const read = await readAll(
        sources,
        origin,
        mark === undefined ? { newerThan: since.time } : { after: mark.offset },
      );
      const { extent } = read;
      const honoured =
        mark === undefined ||
        (mark.epoch === extent.epoch && mark.offset >= extent.first - 1 && mark.offset <= extent.end);
      return { origin, read, honoured };
    }),
  );
  const floors = new Map(reads.map(({ origin, read }) => [origin, endOf(read.extent)]));
  const ends: Position = { time: now, marks: floors };
  if (reads.every(({ honoured }) => honoured)) {
    return replayed(since, byTime(reads.map(({ read }) => read.entries)), true, null, floors);
  }
  const starts = new Map(
    reads.map(({ origin, read }) => [origin, { epoch: read.extent.epoch, offset: read.extent.first - 1 }]),
  );
  return { start: ends, recovered: false, historyStart: { time: now, marks: starts }, replay: [], floors, end: ends };
}

/**
 * A join with `?history=N`: the room's last N messages before the join, and every
 * message since (sent while this was being gathered), in time order.
 */
export async function lastMessages(
  count: number,
  sources: HistorySources,
  now: number,
  joinedAt: number,
): Promise<CatchUp> {
  const origins = await sources.origins();
  const reads = await Promise.all(
    origins.map(async (origin) => ({ origin, read: await sources.read(origin, { last: count, from: joinedAt }) })),
  );
  const before = byTime(reads.map(({ read }) => read.entries.filter((entry) => entry.time < joinedAt)));
  const after = reads.flatMap(({ read }) => read.entries.filter((entry) => entry.time >= joinedAt));
  const keep = new Set([...(count === 0 ? [] : before.slice(-count)), ...after]);
  const taken = byTime(reads.map(({ read }) => read.entries.filter((entry) => keep.has(entry))));
  const marks = new Map<number, Mark>();
  for (const { origin, read } of reads) {
    const first = taken.find((entry) => entry.origin === origin);
    const offset = first === undefined ? read.extent.end : first.offset - 1;
    marks.set(origin, { epoch: read.extent.epoch, offset });
  }
  const floors = new Map(reads.map(({ origin, read }) => [origin, endOf(read.extent)]));
  return replayed({ time: now, marks }, taken, true, null, floors);
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

/** Every page of an origin's answer to an `after` or `newerThan` query. */
async function readAll(sources: HistorySources, origin: number, query: HistoryQuery): Promise<HistoryRead> {
  const first = await sources.read(origin, query);
  const entries = [...first.entries];
  let last = entries.at(-1);
  while (last !== undefined && last.offset < first.extent.end) {
    const next = await sources.read(origin, { after: last.offset });
    if (next.entries.length === 0) break;
    entries.push(...next.entries);
    last = entries.at(-1);
  }
  return { extent: first.extent, entries };
}

function endOf(extent: Extent): Mark {
  return { epoch: extent.epoch, offset: extent.end };
}

/**
 * One sequence from each origin's (in offset order): the earliest head first, so the
 * room reads in time order while each origin's own order is kept whatever its clock did.
 */
function byTime(perOrigin: readonly (readonly Entry[])[]): Entry[] {
  const heads = perOrigin.map(() => 0);
  const merged: Entry[] = [];
  for (;;) {
    let pick = -1;
    perOrigin.forEach((entries, at) => {
      const head = entries[heads[at] ?? 0];
      const best = pick < 0 ? undefined : perOrigin[pick]?.[heads[pick] ?? 0];
      if (head !== undefined && (best === undefined || head.time < best.time)) pick = at;
    });
    const entry = pick < 0 ? undefined : perOrigin[pick]?.[heads[pick] ?? 0];
    if (entry === undefined) return merged;
    merged.push(entry);
    heads[pick] = (heads[pick] ?? 0) + 1;
  }
}
