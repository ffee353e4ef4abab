/**
 * Positions in a room's history. A room spread over objects has no total order, so a
 * position is a vector: for each object a message can enter by (its *origin*), the
 * epoch of that object's history and the offset of the last of its messages taken
 * in, plus the time. An origin a position does not name stands for none of its
 * messages taken in (an offset 0 mark in its current epoch), so no rule ever needs
 * the time, and the time is never compared across objects. Clients treat the
 * encoded string as opaque: URL-safe base64 of a small JSON array. Pure.
 */
import { isIntegerIn } from "../validate";

/** An origin's history epoch: new whenever its storage starts afresh. */
export const EPOCH_PATTERN = /^[0-9a-f]{8}$/;
/** A `since` longer than this is refused: a room of 200 objects encodes in about 8 KB. */
const MAX_POSITION_LENGTH = 16_384;
const MAX = Number.MAX_SAFE_INTEGER;

/** One origin's place: the last of its messages taken in. */
export interface Mark {
  readonly epoch: string;
  readonly offset: number;
}

/** Where a member is: a mark per origin it took messages from, and the newest time among them (informative). */
export interface Position {
  readonly time: number;
  readonly marks: ReadonlyMap<number, Mark>;
}

/** A fresh epoch for an origin whose history starts afresh. */
export function newEpoch(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** The opaque, URL-safe text of a position. */
export function encodePosition(position: Position): string {
  const marks = [...position.marks]
    .sort(([a], [b]) => a - b)
    .map(([origin, { epoch, offset }]) => [origin, epoch, offset]);
  return btoa(JSON.stringify([position.time, marks]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A position from a client (`since`), or null when it is not one this service wrote. */
export function parsePosition(text: string): Position | null {
  if (text.length === 0 || text.length > MAX_POSITION_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [time, entries] = value;
  if (!isIntegerIn(time, 0, MAX) || !Array.isArray(entries)) return null;
  const marks = new Map<number, Mark>();
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [origin, epoch, offset] = entry;
    if (!isIntegerIn(origin, 0, MAX) || marks.has(origin)) return null;
    if (typeof epoch !== "string" || !EPOCH_PATTERN.test(epoch) || !isIntegerIn(offset, 0, MAX)) return null;
    marks.set(origin, { epoch, offset });
  }
  return { time, marks };
}

/** Every mark of `a`, moved forward to `b`'s where `b` is further on the same epoch or on another one. */
export function merged(a: Position, b: Position): Position {
  const marks = new Map(a.marks);
  for (const [origin, mark] of b.marks) {
    const mine = marks.get(origin);
    if (mine === undefined || mine.epoch !== mark.epoch || mine.offset < mark.offset) marks.set(origin, mark);
  }
  return { time: Math.max(a.time, b.time), marks };
}

/** `position` with one more message taken in. */
export function advanced(position: Position, origin: number, mark: Mark, time: number): Position {
  const marks = new Map(position.marks);
  marks.set(origin, mark);
  return { time: Math.max(position.time, time), marks };
}
