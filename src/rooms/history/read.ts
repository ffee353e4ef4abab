/**
 * What room objects send each other about history: a query for one origin's messages
 * and the answer, checked on arrival like every call between objects. A message over
 * `INLINE_BYTES` crosses as its size only; its bytes are fetched alone, as a stream, when
 * it is sent (a value between objects is capped at 32 MiB).
 */
import type { Payload } from "../message";
import { isIntegerIn, isRecord, parseSentId } from "../validate";
import { bodyFrom, isLarge, largeBody } from "./body";
import { EPOCH_PATTERN } from "./position";
import type { HistoryQuery, HistoryRead } from "./sources";
import type { Entry, Extent } from "./store";

const MAX = Number.MAX_SAFE_INTEGER;

/** An entry as it crosses: `data` null for a large message, whose `size` and `text` say what to fetch. */
export interface WireEntry {
  readonly offset: number;
  readonly time: number;
  readonly sender: string;
  readonly via: "http" | null;
  readonly data: Payload | null;
  readonly size?: number;
  readonly text?: boolean;
  /** The id it was sent with, and who sent it so (./sent-ids.ts). */
  readonly id?: string;
  readonly identity?: string;
}

/** A `HistoryRead` as it crosses between objects. */
export interface WireRead {
  readonly extent: Extent;
  readonly entries: readonly WireEntry[];
}

/** Fetches the bytes of the message at `offset` of `epoch` from its origin (a stream, or a refusal). */
export type FetchBody = (epoch: string, offset: number) => Promise<unknown>;

/**
 * A query that may also say how many messages its answer needs at most (`GET …/history`
 * needs `limit` of each origin): it travels as a `HistoryQuery` with one more field.
 */
export type LimitedQuery = HistoryQuery & { readonly limit?: number };

/** A query from another object, or null when it is not one. */
export function parseHistoryQuery(value: unknown): LimitedQuery | null {
  if (!isRecord(value)) return null;
  const limit = isIntegerIn(value.limit, 1, MAX) ? { limit: value.limit } : {};
  if (value.limit !== undefined && !("limit" in limit)) return null;
  if (isIntegerIn(value.after, 0, MAX)) return { after: value.after, ...limit };
  if (isIntegerIn(value.last, 0, MAX) && isIntegerIn(value.from, 0, MAX)) return { last: value.last, from: value.from };
  return null;
}

/** A read as it is sent to another object: large messages by their size. */
export function toWire(read: HistoryRead): WireRead {
  return {
    extent: read.extent,
    entries: read.entries.map(({ offset, time, sender, via, data, id, identity }) => {
      const sent = id === undefined || identity === undefined ? {} : { id, identity };
      return isLarge(data)
        ? { offset, time, sender, via, data: null, size: data.size, text: data.text, ...sent }
        : { offset, time, sender, via, data, ...sent };
    }),
  };
}

/** An origin's answer, from the object that is `origin`, or null when it is not one. */
export function parseHistoryRead(value: unknown, origin: number, fetchBody: FetchBody): HistoryRead | null {
  if (!isRecord(value) || !isRecord(value.extent) || !Array.isArray(value.entries)) return null;
  const { epoch, first, end } = value.extent;
  if (
    typeof epoch !== "string" ||
    !EPOCH_PATTERN.test(epoch) ||
    !isIntegerIn(first, 1, MAX) ||
    !isIntegerIn(end, 0, MAX)
  )
    return null;
  const entries: Entry[] = [];
  for (const item of value.entries) {
    const entry = parseEntry(item, origin, epoch, fetchBody);
    if (entry === null) return null;
    entries.push(entry);
  }
  return { extent: { epoch, first, end }, entries };
}

function parseEntry(value: unknown, origin: number, epoch: string, fetchBody: FetchBody): Entry | null {
  if (!isRecord(value)) return null;
  const { offset, time, sender, via, data, size, text } = value;
  if (!isIntegerIn(offset, 1, MAX) || !isIntegerIn(time, 0, MAX) || typeof sender !== "string") return null;
  if (via !== null && via !== "http") return null;
  const sent = parseSentId(value.id, value.identity);
  if (sent === null) return null;
  const fields = {
    origin,
    epoch,
    offset,
    time,
    sender,
    via: via === "http" ? ("http" as const) : null,
    ...(sent ?? {}),
  };
  if (typeof data === "string" || data instanceof ArrayBuffer) return { ...fields, data };
  if (data !== null || !isIntegerIn(size, 0, MAX) || typeof text !== "boolean") return null;
  const body = largeBody(size, text, async () => {
    const stream = await fetchBody(epoch, offset);
    if (!(stream instanceof ReadableStream)) throw new TypeError(`shard ${origin}'s history body is not a stream`);
    return bodyFrom(stream, size, text);
  });
  return { ...fields, data: body };
}
