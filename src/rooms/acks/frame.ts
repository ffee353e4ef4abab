/**
 * The frames of a member that joined with `&acks=1`: each message it sends carries an
 * id of its choosing, and the room answers with an ack once the message is stored.
 * Text: `{"id":"…","data":"…"}`. Binary: the header form of the room's binary envelopes
 * (a 4-byte big-endian header length, the header's UTF-8 JSON with `id`, then the exact
 * bytes). Pure: unit-tested.
 */
import { HEADER_LENGTH_BYTES } from "../history/envelope";
import type { Payload } from "../message";
import { isRecord } from "../validate";

/** A message id, and a `?client=` identity: 1 to 64 visible ASCII characters. */
export const MESSAGE_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;
export const BAD_ID = "acks: a message id is 1 to 64 visible ASCII characters";
export const BAD_TEXT_FRAME = 'acks: a text frame must be {"id":"…","data":"…"}';
export const BAD_BINARY_FRAME =
  "acks: a binary frame must be a 4-byte header length, a JSON header with id, then bytes";

/** The room's answer to a stored message. */
export interface AckFrame {
  readonly type: "ack";
  readonly id: string;
  /** The message's place in the room's history: its origin's mark alone. */
  readonly position: string;
}

export type Unwrapped =
  | { readonly ok: true; readonly id: string; readonly data: Payload }
  | { readonly ok: false; readonly reason: string };

/** An acks member's frame as its id and message, or why it is not one. */
export function unwrap(frame: Payload): Unwrapped {
  if (typeof frame === "string") {
    const value = parseJson(frame);
    if (!isRecord(value) || typeof value.data !== "string" || typeof value.id !== "string")
      return { ok: false, reason: BAD_TEXT_FRAME };
    return checked(value.id, value.data);
  }
  if (frame.byteLength < HEADER_LENGTH_BYTES) return { ok: false, reason: BAD_BINARY_FRAME };
  const length = new DataView(frame).getUint32(0);
  const end = HEADER_LENGTH_BYTES + length;
  if (end > frame.byteLength) return { ok: false, reason: BAD_BINARY_FRAME };
  let header: unknown;
  try {
    header = parseJson(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
        new Uint8Array(frame, HEADER_LENGTH_BYTES, length),
      ),
    );
  } catch {
    return { ok: false, reason: BAD_BINARY_FRAME };
  }
  if (!isRecord(header) || typeof header.id !== "string") return { ok: false, reason: BAD_BINARY_FRAME };
  return checked(header.id, frame.slice(end));
}

/** The ack a member receives for message `id`, stored at `position`. */
export function ackFrame(id: string, position: string): string {
  const ack: AckFrame = { type: "ack", id, position };
  return JSON.stringify(ack);
}

function checked(id: string, data: Payload): Unwrapped {
  return MESSAGE_ID_PATTERN.test(id) ? { ok: true, id, data } : { ok: false, reason: BAD_ID };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
