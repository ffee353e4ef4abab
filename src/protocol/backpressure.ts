/**
 * Backpressure: a client that stops reading must not make the server buffer
 * without bound. `send()` never blocks; it queues, and `bufferedAmount` says how
 * much. A socket whose queue would pass the cap is closed instead of fed.
 */
import { PLATFORM_MAX_MESSAGE_BYTES } from "../config";

/**
 * Most bytes one socket may have waiting to be sent: one platform-size message.
 * An isolate has 128 MB for every connection it serves, so one stalled reader
 * must not be allowed more.
 */
export const MAX_UNSENT_BYTES = PLATFORM_MAX_MESSAGE_BYTES;

/** The close reason (with 1008) for a socket dropped for not reading. */
export const SLOW_READER_REASON = `slow reader: over ${MAX_UNSENT_BYTES} bytes waiting to be sent`;

/**
 * True when `size` more bytes may be queued behind `buffered`: an empty queue takes
 * any message. `buffered` is undefined where the runtime does not report it (workerd
 * before November 2026, as in the Vitest integration): no cap can apply there.
 */
export function canQueue(buffered: number | undefined, size: number): boolean {
  return buffered === undefined || buffered === 0 || buffered + size <= MAX_UNSENT_BYTES;
}

/**
 * What waits to be sent on a socket: the runtime's queue (`buffered`, undefined where
 * it is not reported) and the replies held back on purpose (`held`, the echo's `delay`),
 * which cost the same memory.
 */
export function waitingBytes(buffered: number | undefined, held: number): number | undefined {
  return held === 0 ? buffered : (buffered ?? 0) + held;
}

/** A recipient skipped because its queue is full: the caller drops it with 1008. */
export class SlowReaderError extends Error {
  override readonly name = "SlowReaderError";
}
