/**
 * A message's bytes in an object's SQLite: a row holds at most 2 MB, so a message over
 * `PART_BYTES` keeps its first part in its `history` row and the rest in `history_parts`.
 * Read back whole (for a message read where it is kept) or part by part as a stream (for
 * another object: a value between objects is capped at 32 MiB, a stream is not).
 */
import { type Body, INLINE_BYTES, largeBody } from "./body";

/** The size of a message's parts in storage. */
export const PART_BYTES = 1024 * 1024;

/** Writes the parts of `bytes` past the first (which its `history` row holds). */
export function writeParts(sql: SqlStorage, offset: number, bytes: Uint8Array): void {
  for (let at = PART_BYTES, part = 1; at < bytes.byteLength; at += PART_BYTES, part++)
    sql.exec(
      "INSERT INTO history_parts (offset, part, data) VALUES (?, ?, ?)",
      offset,
      part,
      // Copies, not views: a view would bind the whole buffer behind it.
      bytes.slice(at, at + PART_BYTES),
    );
}

/** The message at `offset`, its parts put back after its first; null when it is not kept. */
export function readWhole(sql: SqlStorage, offset: number): { bytes: ArrayBuffer; text: boolean } | null {
  const row = sql.exec("SELECT data, size, text FROM history WHERE offset = ?", offset).toArray()[0];
  if (row === undefined || !(row.data instanceof ArrayBuffer)) return null;
  const size = Number(row.size);
  const text = row.text === 1;
  if (size <= PART_BYTES) return { bytes: row.data, text };
  const bytes = new Uint8Array(size);
  bytes.set(new Uint8Array(row.data));
  let filled = row.data.byteLength;
  for (const part of sql.exec("SELECT part, data FROM history_parts WHERE offset = ? ORDER BY part", offset)) {
    if (!(part.data instanceof ArrayBuffer)) return null;
    bytes.set(new Uint8Array(part.data), Number(part.part) * PART_BYTES);
    filled += part.data.byteLength;
  }
  // A message with a part missing is not served with a zero-filled tail.
  return filled === size ? { bytes: bytes.buffer, text } : null;
}

/** The message at `offset` as a stream of its parts, read one at a time as the reader pulls. */
export function streamParts(sql: SqlStorage, offset: number): ReadableStream<Uint8Array> | null {
  const head = sql.exec("SELECT data, size FROM history WHERE offset = ?", offset).toArray()[0];
  if (head === undefined || !(head.data instanceof ArrayBuffer)) return null;
  const first = new Uint8Array(head.data);
  const parts = Math.ceil(Number(head.size) / PART_BYTES);
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === 0) controller.enqueue(first);
      else {
        const part = sql
          .exec("SELECT data FROM history_parts WHERE offset = ? AND part = ?", offset, next)
          .toArray()[0];
        // Deleted meanwhile (the window moved on): the reader sees the stream fail, not a short message.
        if (part === undefined || !(part.data instanceof ArrayBuffer)) {
          controller.error(new RangeError(`history message ${offset} is no longer kept`));
          return;
        }
        controller.enqueue(new Uint8Array(part.data));
      }
      next++;
      if (next >= parts) controller.close();
    },
  });
}

/** A `history` row's message: inline up to `INLINE_BYTES` (its `data`), else read whole when it is sent. */
export function storedBody(sql: SqlStorage, row: Record<string, SqlStorageValue>): Body {
  const text = row.text === 1;
  const size = Number(row.size);
  if (size > INLINE_BYTES) {
    const offset = Number(row.offset);
    return largeBody(size, text, async () => {
      const whole = readWhole(sql, offset);
      if (whole === null) throw new RangeError(`history message ${offset} is no longer kept`);
      return text ? new TextDecoder().decode(whole.bytes) : whole.bytes;
    });
  }
  const data = row.data instanceof ArrayBuffer ? row.data : new ArrayBuffer(0);
  return text ? new TextDecoder().decode(data) : data;
}
