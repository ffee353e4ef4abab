/**
 * `GET /rooms/:name/history` (on shard 0): up to `limit` messages after `since` (from the
 * start of the window without one), as JSON envelopes, and the position after the last.
 * The body is streamed, a message at a time, so that a page holds one large message at a
 * time and no answer meets the 32 MiB cap on a value between objects; a page stops
 * before `MAX_GET_PAGE_BYTES` of messages, though it always has one if any is left.
 */
import { bodyBytes } from "./body";
import { type CatchUp, resume } from "./catch-up";
import { base64Chunks, headerOf, type jsonEnvelope } from "./envelope";
import { encodePosition, type Position } from "./position";
import type { LimitedQuery } from "./read";
import { loaded } from "./replay";
import type { HistorySources } from "./sources";
import type { Extent, LiveEntry } from "./store";

/** Bytes of messages (UTF-8 for text, bytes for binary) a page carries at most, unless its first is larger. */
export const MAX_GET_PAGE_BYTES = 16 * 1024 * 1024;

/** The body of `GET /rooms/:name/history`. */
export interface HistoryPage {
  readonly messages: readonly ReturnType<typeof jsonEnvelope>[];
  /** After the last message of the page: pass it as `since` for the next page, or to join. */
  readonly position: string;
  readonly recovered: boolean;
}

/** The page as a stream of its JSON (a `HistoryPage`); reads of other objects fail before it starts. */
export async function historyPage(
  since: Position | null,
  limit: number,
  sources: HistorySources,
): Promise<ReadableStream<Uint8Array>> {
  const now = Date.now();
  const first = await resume(since, limited(sources, limit), now);
  // Not recoverable: the page starts where history now starts, and says so.
  const catchUp = first.historyStart === null ? first : await resume(first.historyStart, limited(sources, limit), now);
  const taken = pageOf(catchUp.replay, limit);
  const position = taken.at(-1)?.position ?? encodePosition(catchUp.start);
  const tail = `],"position":${JSON.stringify(position)},"recovered":${first.recovered}}`;
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"messages":['));
    },
    async pull(controller) {
      const item = taken[next];
      if (item === undefined) {
        controller.enqueue(encoder.encode(tail));
        controller.close();
        return;
      }
      const entry = await loaded(item.entry);
      for (const chunk of envelopeJson(entry, item.position, next > 0)) controller.enqueue(encoder.encode(chunk));
      next++;
    },
  });
}

/**
 * `sources` for a page of `limit` messages: no origin gives more than `limit` of them (the
 * page takes the earliest of each origin's, in order), so each is asked for no more, and
 * asked no further once it gave them (an empty page ends a reader's paging).
 */
function limited(sources: HistorySources, limit: number): HistorySources {
  const given = new Map<number, { extent: Extent; count: number }>();
  return {
    origins: () => sources.origins(),
    async read(origin, query) {
      const before = given.get(origin);
      if (before !== undefined && before.count >= limit) return { extent: before.extent, entries: [] };
      const asked: LimitedQuery = { ...query, limit: limit - (before?.count ?? 0) };
      const read = await sources.read(origin, asked);
      given.set(origin, { extent: before?.extent ?? read.extent, count: (before?.count ?? 0) + read.entries.length });
      return read;
    },
  };
}

/** The replay's first `limit` messages, cut before `MAX_GET_PAGE_BYTES` (never before the first). */
function pageOf(replay: CatchUp["replay"], limit: number): CatchUp["replay"] {
  let bytes = 0;
  let count = 0;
  for (const { entry } of replay.slice(0, limit)) {
    bytes += bodyBytes(entry.data);
    if (count > 0 && bytes > MAX_GET_PAGE_BYTES) break;
    count++;
  }
  return replay.slice(0, count);
}

/** `jsonEnvelope(entry, position)` as JSON text in pieces: a binary message's base64 a chunk at a time. */
function* envelopeJson(entry: LiveEntry, position: string, comma: boolean): Generator<string> {
  const header = JSON.stringify(headerOf(entry, position));
  const open = `${comma ? "," : ""}${header.slice(0, -1)},"data":`;
  if (typeof entry.data === "string") {
    yield `${open}${JSON.stringify(entry.data)}}`;
    return;
  }
  yield `${open}"`;
  yield* base64Chunks(entry.data);
  yield '","binary":true}';
}
