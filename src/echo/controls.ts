/**
 * Test controls: query parameters of an echo upgrade that make the echo misbehave on
 * request (docs/controls.md; the names are the contract). This file is the contract:
 * the names, their bounds and the typed `Controls`; parse-controls.ts reads a query into it.
 */

/** Longest `delay` and `jitter`: long enough for any client timeout test, short enough to bound held memory. */
export const MAX_DELAY_MS = 60_000;
export const MAX_JITTER_MS = 60_000;
/** `after`: most echoes before the asked close. */
export const MAX_CLOSE_AFTER_ECHOES = 100_000;
/** `after_ms`: an hour; longer tests need no echo service. */
export const MAX_CLOSE_AFTER_MS = 3_600_000;
/** `drop`: most messages before the connection is cut. */
export const MAX_DROP_AFTER = 100_000;
/** `status`: the refusals a client is likely to meet in the wild. */
export const REFUSAL_STATUSES: readonly number[] = [400, 401, 403, 404, 429, 500, 502, 503];
/** Statuses for which RFC 9110 defines `Retry-After`. */
export const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];
/** `retry_after`: one day. */
export const MAX_RETRY_AFTER_S = 86_400;
/** `protocol`: a header value no real subprotocol name comes near. */
export const MAX_PROTOCOL_LENGTH = 128;
/** `push`, `interval`, `push_size`: bounds on work the client did not pay for. */
export const MAX_PUSH_COUNT = 10_000;
export const MIN_PUSH_INTERVAL_MS = 10;
export const MAX_PUSH_INTERVAL_MS = 60_000;
export const DEFAULT_PUSH_INTERVAL_MS = 1_000;
export const MAX_PUSH_SIZE = 65_536;
/** `push × push_size`: at most 64 MiB of pushes per connection. */
export const MAX_PUSH_BYTES = 64 * 1024 * 1024;
/** The 400 reason for any control when `CONTROLS = "off"`. */
export const CONTROLS_OFF_REASON = "test controls are off on this service";

/** Every control parameter; anything else in the query is ignored (and listed by `hello=1`). */
export const CONTROL_NAMES = [
  "delay",
  "jitter",
  "close",
  "reason",
  "after",
  "after_ms",
  "drop",
  "status",
  "retry_after",
  "protocol",
  "push",
  "interval",
  "push_type",
  "push_size",
  "hello",
] as const;
export type ControlName = (typeof CONTROL_NAMES)[number];

export interface CloseControl {
  readonly code: number;
  readonly reason: string;
  /** Close right after this many echoes (0: at open); null: only `afterMs` decides. */
  readonly afterEchoes: number | null;
  /** Close this long after open; null: only `afterEchoes` decides. */
  readonly afterMs: number | null;
}

export interface StatusControl {
  readonly status: number;
  readonly retryAfterSeconds: number | null;
}

export type PushType = "text" | "binary";

export interface PushControl {
  readonly count: number;
  readonly intervalMs: number;
  readonly type: PushType;
  readonly size: number;
}

export interface Controls {
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly close: CloseControl | null;
  /** Cut the connection, no close frame, when this message (1-based) arrives. */
  readonly dropAt: number | null;
  /** Refuse the handshake instead of upgrading. */
  readonly status: StatusControl | null;
  /** The subprotocol to answer whatever was offered (`answer: null` for `protocol=none`); null: the usual choice. */
  readonly protocol: { readonly answer: string | null } | null;
  readonly push: PushControl | null;
  readonly hello: boolean;
  /** Query parameters that are not controls, in order, each once. */
  readonly ignored: readonly string[];
}

export type ControlsResult = { ok: true; controls: Controls } | { ok: false; reason: string };

/** No control given: the plain echo. */
export const NO_CONTROLS: Controls = {
  delayMs: 0,
  jitterMs: 0,
  close: null,
  dropAt: null,
  status: null,
  protocol: null,
  push: null,
  hello: false,
  ignored: [],
};
