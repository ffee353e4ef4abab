/**
 * Reads an echo upgrade's query into `Controls` (controls.ts). Pure: the query and whether
 * controls are on go in; typed `Controls` or a one-line 400 reason naming the parameter
 * and its range come out.
 */
import { isValidCloseCode, MAX_CLOSE_REASON_BYTES } from "../protocol/close-codes";
import { utf8ByteLength } from "../protocol/frames";
import {
  type CloseControl,
  CONTROL_NAMES,
  CONTROLS_OFF_REASON,
  type ControlName,
  type Controls,
  type ControlsResult,
  DEFAULT_PUSH_INTERVAL_MS,
  MAX_CLOSE_AFTER_ECHOES,
  MAX_CLOSE_AFTER_MS,
  MAX_DELAY_MS,
  MAX_DROP_AFTER,
  MAX_JITTER_MS,
  MAX_PROTOCOL_LENGTH,
  MAX_PUSH_BYTES,
  MAX_PUSH_COUNT,
  MAX_PUSH_INTERVAL_MS,
  MAX_PUSH_SIZE,
  MAX_RETRY_AFTER_S,
  MIN_PUSH_INTERVAL_MS,
  NO_CONTROLS,
  type PushControl,
  REFUSAL_STATUSES,
  RETRY_AFTER_STATUSES,
} from "./controls";

/** RFC 9110 token characters, as a subprotocol name must be (RFC 6455 §4.1). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]+$/;

class ControlError extends Error {}

/** Parses an echo upgrade's query into `Controls`, or the reason for a 400. */
export function parseControls(query: URLSearchParams, enabled: boolean): ControlsResult {
  const given = new Map<ControlName, string>();
  const ignored: string[] = [];
  const repeated = new Set<string>();
  for (const [name, value] of query) {
    if (!isControlName(name)) {
      if (!ignored.includes(name)) ignored.push(name);
    } else if (given.has(name)) repeated.add(name);
    else given.set(name, value);
  }
  if (given.size === 0) return { ok: true, controls: { ...NO_CONTROLS, ignored } };
  if (!enabled) return { ok: false, reason: CONTROLS_OFF_REASON };
  const [twice] = repeated;
  if (twice !== undefined) return { ok: false, reason: `${twice} is given more than once; give it once` };
  try {
    return { ok: true, controls: read(given, ignored) };
  } catch (error) {
    if (error instanceof ControlError) return { ok: false, reason: error.message };
    throw error;
  }
}

function read(given: ReadonlyMap<ControlName, string>, ignored: readonly string[]): Controls {
  const integer = (name: ControlName, min: number, max: number, unit = ""): number | null => {
    const raw = given.get(name);
    if (raw === undefined) return null;
    const value = digits(raw);
    if (value === null || value < min || value > max)
      throw new ControlError(`${name} must be an integer from ${min} to ${max}${unit}, got ${JSON.stringify(raw)}`);
    return value;
  };
  const needs = (name: ControlName, needed: ControlName, what: string) => {
    if (given.has(name) && !given.has(needed)) throw new ControlError(`${name} needs ${what}`);
  };

  const delayMs = integer("delay", 0, MAX_DELAY_MS, " ms") ?? 0;
  const jitterMs = integer("jitter", 0, MAX_JITTER_MS, " ms") ?? 0;

  for (const name of ["reason", "after", "after_ms"] as const) needs(name, "close", "close=CODE");
  const codeRaw = given.get("close");
  const code = digits(codeRaw);
  if (codeRaw !== undefined && (code === null || !isValidCloseCode(code)))
    throw new ControlError(
      `close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got ${JSON.stringify(codeRaw)}`,
    );
  const reason = given.get("reason") ?? "";
  const reasonBytes = utf8ByteLength(reason);
  if (reasonBytes > MAX_CLOSE_REASON_BYTES)
    throw new ControlError(`reason must be at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8, got ${reasonBytes}`);
  const afterEchoes = integer("after", 0, MAX_CLOSE_AFTER_ECHOES);
  const afterMs = integer("after_ms", 0, MAX_CLOSE_AFTER_MS, " ms");
  const close: CloseControl | null =
    code === null ? null : { code, reason, afterEchoes: afterMs === null ? (afterEchoes ?? 0) : afterEchoes, afterMs };

  const dropAt = integer("drop", 1, MAX_DROP_AFTER);
  if (dropAt !== null && close !== null) throw new ControlError("drop and close cannot be combined: choose one ending");

  needs("retry_after", "status", "status=429 or status=503");
  const statusRaw = given.get("status");
  const status = digits(statusRaw);
  if (statusRaw !== undefined && (status === null || !REFUSAL_STATUSES.includes(status)))
    throw new ControlError(`status must be one of ${REFUSAL_STATUSES.join(", ")}, got ${JSON.stringify(statusRaw)}`);
  const retryAfterSeconds = integer("retry_after", 0, MAX_RETRY_AFTER_S, " s");
  if (retryAfterSeconds !== null && status !== null && !RETRY_AFTER_STATUSES.includes(status))
    throw new ControlError(`retry_after needs status=429 or status=503, got status=${status}`);

  const protocolRaw = given.get("protocol");
  if (protocolRaw !== undefined && !(TOKEN.test(protocolRaw) && protocolRaw.length <= MAX_PROTOCOL_LENGTH))
    throw new ControlError(
      `protocol must be "none" or a subprotocol token of 1 to ${MAX_PROTOCOL_LENGTH} characters, got ${JSON.stringify(protocolRaw)}`,
    );

  return {
    delayMs,
    jitterMs,
    close,
    dropAt,
    status: status === null ? null : { status, retryAfterSeconds },
    protocol: protocolRaw === undefined ? null : { answer: protocolRaw === "none" ? null : protocolRaw },
    push: readPush(given, integer, needs),
    hello: readHello(given.get("hello")),
    ignored,
  };
}

function readPush(
  given: ReadonlyMap<ControlName, string>,
  integer: (name: ControlName, min: number, max: number, unit?: string) => number | null,
  needs: (name: ControlName, needed: ControlName, what: string) => void,
): PushControl | null {
  for (const name of ["interval", "push_type", "push_size"] as const) needs(name, "push", "push=N");
  const count = integer("push", 1, MAX_PUSH_COUNT);
  const intervalMs = integer("interval", MIN_PUSH_INTERVAL_MS, MAX_PUSH_INTERVAL_MS, " ms");
  const size = integer("push_size", 0, MAX_PUSH_SIZE, " bytes") ?? 0;
  const type = given.get("push_type") ?? "text";
  if (type !== "text" && type !== "binary")
    throw new ControlError(`push_type must be "text" or "binary", got ${JSON.stringify(type)}`);
  if (count === null) return null;
  if (count * size > MAX_PUSH_BYTES)
    throw new ControlError(
      `push × push_size must be at most ${MAX_PUSH_BYTES} bytes (64 MiB), got ${count} × ${size} = ${count * size}`,
    );
  return { count, intervalMs: intervalMs ?? DEFAULT_PUSH_INTERVAL_MS, type, size };
}

function readHello(raw: string | undefined): boolean {
  if (raw === undefined || raw === "0") return false;
  if (raw === "1") return true;
  throw new ControlError(`hello must be 1 (or 0), got ${JSON.stringify(raw)}`);
}

/** A run of ASCII digits as a number; null for anything else ("", "+1", "1e3", "1.0", " 1"). */
function digits(raw: string | undefined): number | null {
  return raw !== undefined && DIGITS.test(raw) ? Number(raw) : null;
}

function isControlName(name: string): name is ControlName {
  return (CONTROL_NAMES as readonly string[]).includes(name);
}
