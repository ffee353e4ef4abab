/**
 * WebSocket close codes (RFC 6455 §7.4) the service sends or answers, and the
 * pure rules for choosing them, kept apart from runtime glue so they are unit-tested.
 */
import { utf8ByteLength } from "./frames";

export const CLOSE_NORMAL = 1000;
export const CLOSE_PROTOCOL_ERROR = 1002;
/** Reserved: "no status code was present". Never sent; `close()` throws on it. */
export const CLOSE_NO_STATUS = 1005;
/** Reserved: "abnormal closure" (no close frame). Never sent; `close()` throws on it. */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;
/** "Service restart": the client may reconnect at once. */
export const CLOSE_SERVICE_RESTART = 1012;
/** "Try again later": the client should reconnect after a pause. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Private rooms (4xxx, an application's range), after HTTP's 401: the token is missing, invalid or expired; get a new one. */
export const CLOSE_TOKEN_REFUSED = 4401;
/** Private rooms, after HTTP's 403: the token is valid but not for this, or a read-only member sent. */
export const CLOSE_FORBIDDEN = 4403;

/** A close reason is at most 123 bytes of UTF-8: 125 bytes of control-frame payload less the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * True for a code a peer may put in a close frame: 1000-1003, 1007-1014, 3000-4999.
 * 1004, 1005, 1006, 1015 and the unassigned 1016-2999 are invalid on the wire.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== CLOSE_NO_STATUS && code !== CLOSE_ABNORMAL) ||
    (code >= 3000 && code <= 4999)
  );
}

/** What to send back to a peer that closed: `null` when nothing can be sent. */
export type CloseReply = { code: number; reason: string } | null;

/**
 * The answer to a peer's close: the same code and reason when the code is valid,
 * 1000 when the peer sent no code (1005), 1002 for a code that may not appear on
 * the wire (1006 and 1015 included, when a peer put them in a frame) or a reason
 * longer than a close frame can carry, 1007 for a reason that was not UTF-8, and
 * nothing when the connection dropped without a close frame (`wasClean` false):
 * the transport is gone.
 */
export function closeReplyFor(code: number, reason: string, wasClean: boolean): CloseReply {
  if (!wasClean) return null;
  if (code === CLOSE_NO_STATUS) return { code: CLOSE_NORMAL, reason: "" };
  if (!isValidCloseCode(code)) return { code: CLOSE_PROTOCOL_ERROR, reason: `invalid close code ${code}` };
  // The runtime decodes the reason before we see it, turning invalid UTF-8 into U+FFFD
  // (3 bytes, for at least 1 on the wire); a well-behaved peer has no reason to send
  // U+FFFD itself, so take it as the mark.
  const replaced = countReplacements(reason);
  if (utf8ByteLength(reason) - 2 * replaced > MAX_CLOSE_REASON_BYTES)
    return { code: CLOSE_PROTOCOL_ERROR, reason: `close reason over ${MAX_CLOSE_REASON_BYTES} bytes` };
  if (replaced > 0) return { code: CLOSE_INVALID_PAYLOAD, reason: "close reason is not valid UTF-8" };
  return { code, reason };
}

const REPLACEMENT_CHARACTER = "\uFFFD";

function countReplacements(text: string): number {
  let count = 0;
  for (let at = text.indexOf(REPLACEMENT_CHARACTER); at !== -1; at = text.indexOf(REPLACEMENT_CHARACTER, at + 1))
    count++;
  return count;
}
