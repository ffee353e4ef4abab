/**
 * One origin's whole answer to a catch-up's query, over as many pages as it takes
 * (a read stops at `MAX_PAGE_BYTES`): up to where the origin's history stood at the
 * first page, or past it when the origin kept sending. What comes back has no hole,
 * so a member's marks and floors can follow the last message it is really sent.
 */
import type { HistoryQuery, HistoryRead, HistorySources } from "./sources";

/** An origin's answer over its pages; `broken` when a later page no longer went on from the one before. */
export interface ReadThrough extends HistoryRead {
  readonly broken: boolean;
}

export async function readThrough(sources: HistorySources, origin: number, query: HistoryQuery): Promise<ReadThrough> {
  return readOn(sources, origin, await sources.read(origin, query));
}

/**
 * `first`, an origin's first page, with the pages after it. A page that comes back empty
 * ends the reading (a reader may be asked for no more); one that starts past where the
 * last ended means the origin dropped messages meanwhile: `broken`.
 */
export async function readOn(sources: HistorySources, origin: number, first: HistoryRead): Promise<ReadThrough> {
  const entries = unbroken(first.entries);
  let last = entries.at(-1);
  while (last !== undefined && last.offset < first.extent.end) {
    const next = unbroken((await sources.read(origin, { after: last.offset })).entries);
    const head = next[0];
    if (head === undefined) break;
    if (head.offset !== last.offset + 1) return { extent: first.extent, entries, broken: true };
    entries.push(...next);
    last = entries.at(-1);
  }
  return { extent: first.extent, entries, broken: false };
}

/**
 * The entries up to the first hole in their offsets. A page of the last N that stopped
 * at its byte bound is followed by the messages since the join: the next read fills the hole.
 */
function unbroken<T extends { readonly offset: number }>(entries: readonly T[]): T[] {
  const kept: T[] = [];
  for (const entry of entries) {
    const last = kept.at(-1);
    if (last !== undefined && entry.offset !== last.offset + 1) break;
    kept.push(entry);
  }
  return kept;
}
