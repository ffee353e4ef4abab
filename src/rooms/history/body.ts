/**
 * A message's bytes as a read of history carries them. A value between objects is capped
 * at 32 MiB, and text is serialized as UTF-16 once it has a character past U+00FF, so a
 * message the room took live (up to 32 MiB) may not fit in any read. Small messages travel
 * inline in a page; a larger one travels as its size, and its bytes are fetched on their
 * own, as a stream, only when it is about to be sent, one at a time.
 */
import type { Payload } from "../message";

/** Messages up to this size travel inline in a page of history; larger ones are fetched alone. */
export const INLINE_BYTES = 64 * 1024;

/** A message kept in history whose bytes are fetched when it is sent. */
export interface LargeBody {
  /** UTF-8 bytes for text, bytes for binary. */
  readonly size: number;
  readonly text: boolean;
  /** The message itself; rejects when its origin no longer keeps it or does not answer. */
  load(): Promise<Payload>;
}

/** What a read of history carries of a message: the message, or how to fetch it. */
export type Body = Payload | LargeBody;

export function isLarge(body: Body): body is LargeBody {
  return typeof body !== "string" && !(body instanceof ArrayBuffer);
}

/** The bytes a message takes: UTF-8 for text (as stored and as limited live). */
export function bodyBytes(body: Body): number {
  if (isLarge(body)) return body.size;
  return typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength;
}

/**
 * A `LargeBody` whose loads share one read while it is in flight: catch-ups that reach
 * the same message together fetch it once, and none keeps it once sent.
 */
export function largeBody(size: number, text: boolean, fetch: () => Promise<Payload>): LargeBody {
  let inFlight: Promise<Payload> | null = null;
  return {
    size,
    text,
    load() {
      inFlight ??= fetch().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}

/** A stream of a message's bytes, read whole and checked against the size its page gave. */
export async function bodyFrom(stream: ReadableStream<Uint8Array>, size: number, text: boolean): Promise<Payload> {
  const bytes = await new Response(stream).arrayBuffer();
  if (bytes.byteLength !== size) throw new RangeError(`history body of ${bytes.byteLength} bytes, expected ${size}`);
  return text ? new TextDecoder().decode(bytes) : bytes;
}
