/**
 * What room objects send each other about history: a query for one origin's messages
 * and the answer, checked on arrival like every call between objects.
 */
import type { Payload } from "../message";
import { isIntegerIn, isRecord } from "../validate";
import type { HistoryQuery, HistoryRead } from "./catch-up";
import { EPOCH_PATTERN } from "./position";
import type { Entry } from "./store";

const MAX = Number.MAX_SAFE_INTEGER;

/** A query from another object, or null when it is not one. */
export function parseHistoryQuery(value: unknown): HistoryQuery | null {
  if (!isRecord(value)) return null;
  if (isIntegerIn(value.after, 0, MAX)) return { after: value.after };
  if (isIntegerIn(value.newerThan, 0, MAX)) return { newerThan: value.newerThan };
  if (isIntegerIn(value.last, 0, MAX) && isIntegerIn(value.from, 0, MAX)) return { last: value.last, from: value.from };
  return null;
}

/** An origin's answer, from the object that is `origin`, or null when it is not one. */
export function parseHistoryRead(value: unknown, origin: number): HistoryRead | null {
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
    const entry = parseEntry(item, origin, epoch);
    if (entry === null) return null;
    entries.push(entry);
  }
  return { extent: { epoch, first, end }, entries };
}

function parseEntry(value: unknown, origin: number, epoch: string): Entry | null {
  if (!isRecord(value)) return null;
  const { offset, time, sender, via, data } = value;
  if (!isIntegerIn(offset, 1, MAX) || !isIntegerIn(time, 0, MAX) || typeof sender !== "string") return null;
  if (via !== null && via !== "http") return null;
  if (typeof data !== "string" && !(data instanceof ArrayBuffer)) return null;
  const payload: Payload = data;
  return { origin, epoch, offset, time, sender, via, data: payload };
}
