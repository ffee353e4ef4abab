/**
 * Bench messages: each carries its sequence number in an ASCII header, so a
 * receiver can tell a lost message from a reordered or corrupted one; the rest
 * is filler (random bytes for binary, multi-byte UTF-8 for text) that a server
 * mangling encodings would not return intact.
 */
import { randomBytes } from "node:crypto";

/** `#` + 8 hex digits + `#`: valid UTF-8, so text messages can carry it too. */
const HEADER_BYTES = 10;
const HEX_DIGITS = 8;
/** After the header, a fan-out message names its sender: 2 hex digits + `#`. */
const STREAM_BYTES = 3;
/** Senders one room run can tell apart. */
export const MAX_STREAMS = 256;
/** The smallest message the tool sends: the header plus a little filler. */
export const MIN_MESSAGE_BYTES = 16;
/** Binary filler starts at `seq % ROTATION`, so consecutive messages differ beyond the header. */
const ROTATION = 251;
const HASH = 0x23;
/** Spans 1- to 4-byte UTF-8 sequences. */
const TEXT_UNIT = "edge-echo é € 😀 ";

export type MessageKind = "text" | "binary";

/** One message as sent; kept until every receiver has checked its copy. */
export interface SentMessage {
  readonly seq: number;
  readonly bytes: Buffer;
  readonly binary: boolean;
  /** `performance.now()` at send. */
  readonly sentAt: number;
}

const binaryFillers = new Map<number, Buffer>();
const textFillers = new Map<number, Buffer>();

/**
 * The bytes of message `seq`: `size` bytes (at least `MIN_MESSAGE_BYTES`) of the given
 * kind. With a `stream` (a fan-out sender's number), the filler starts with it.
 */
export function makePayload(seq: number, size: number, kind: MessageKind, stream: number | null = null): Buffer {
  const body = Math.max(size, MIN_MESSAGE_BYTES) - HEADER_BYTES;
  const payload = Buffer.allocUnsafe(HEADER_BYTES + body);
  payload.write(`#${(seq >>> 0).toString(16).padStart(HEX_DIGITS, "0")}#`, 0, "latin1");
  if (kind === "binary") {
    const offset = seq % ROTATION;
    binaryFiller(body).copy(payload, HEADER_BYTES, offset, offset + body);
  } else {
    textFiller(body).copy(payload, HEADER_BYTES);
  }
  // Over the filler's first bytes, which are ASCII in text too: the text stays valid UTF-8.
  if (stream !== null) payload.write(`${stream.toString(16).padStart(2, "0")}#`, HEADER_BYTES, "latin1");
  return payload;
}

/** The sender a fan-out message names, or `null` if it names none. */
export function readStream(data: Buffer): number | null {
  if (data.length < HEADER_BYTES + STREAM_BYTES || data[HEADER_BYTES + STREAM_BYTES - 1] !== HASH) return null;
  const hex = data.toString("latin1", HEADER_BYTES, HEADER_BYTES + STREAM_BYTES - 1);
  return /^[0-9a-f]{2}$/.test(hex) ? Number.parseInt(hex, 16) : null;
}

/** The sequence number in a message's header, or `null` if it has none. */
export function readSeq(data: Buffer): number | null {
  if (data.length < HEADER_BYTES || data[0] !== HASH || data[HEADER_BYTES - 1] !== HASH) return null;
  const hex = data.toString("latin1", 1, 1 + HEX_DIGITS);
  return /^[0-9a-f]{8}$/.test(hex) ? Number.parseInt(hex, 16) : null;
}

/** Sizes for the `mixed` scenario: spread over [MIN, max], the same sequence on every run. */
export function mixedSize(seq: number, max: number): number {
  const span = Math.max(0, max - MIN_MESSAGE_BYTES);
  // Knuth's multiplicative hash: well spread, no state.
  return MIN_MESSAGE_BYTES + ((Math.imul(seq + 1, 2654435761) >>> 0) % (span + 1));
}

function binaryFiller(bytes: number): Buffer {
  let filler = binaryFillers.get(bytes);
  if (filler === undefined) {
    filler = randomBytes(bytes + ROTATION);
    binaryFillers.set(bytes, filler);
  }
  return filler;
}

function textFiller(bytes: number): Buffer {
  let filler = textFillers.get(bytes);
  if (filler === undefined) {
    const unit = Buffer.from(TEXT_UNIT);
    const repeated = Buffer.alloc(bytes + unit.length);
    for (let at = 0; at < repeated.length; at += unit.length) unit.copy(repeated, at);
    // Cut at a character boundary (never before a continuation byte 10xxxxxx), pad with ASCII.
    let end = bytes;
    while (end > 0 && ((repeated[end] ?? 0) & 0xc0) === 0x80) end--;
    filler = Buffer.alloc(bytes, ".");
    repeated.copy(filler, 0, 0, end);
    textFillers.set(bytes, filler);
  }
  return filler;
}
