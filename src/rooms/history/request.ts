/**
 * The history parameters of a join (`?since=`, `?history=`) and of
 * `GET /rooms/:name/history` (`?since=`, `?limit=`), checked in the Worker. Pure.
 */
import { type Config, DECIMAL_INTEGER } from "../../config";
import type { PositionRequest } from "../join-ticket";
import { parsePosition } from "./position";

/** Messages one `GET /rooms/:name/history` returns at most, and by default. */
export const MAX_PAGE_MESSAGES = 1_000;
export const DEFAULT_PAGE_MESSAGES = 100;

export const HISTORY_OFF = "history is off on this service (ROOM_HISTORY_MESSAGES=0): join without since or history";
export const HISTORY_NOT_A_NUMBER =
  "history must be a whole number: the last N messages (more than a room keeps gives all it keeps)";
export const MALFORMED_SINCE = "malformed since: pass the position of the last frame received, as it came";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** A join's position request: null for a verbatim join. */
export function parseJoinPosition(params: URLSearchParams, config: Config): Parsed<PositionRequest | null> {
  const since = params.get("since");
  const history = params.get("history");
  if (since === null && history === null) return { ok: true, value: null };
  if (config.historyMessages === 0) return { ok: false, reason: HISTORY_OFF };
  if (since !== null && history !== null)
    return { ok: false, reason: "use since (to resume) or history (the last N), not both" };
  if (since !== null)
    return parsePosition(since) === null ? { ok: false, reason: MALFORMED_SINCE } : { ok: true, value: { since } };
  if (!DECIMAL_INTEGER.test(history ?? "")) return { ok: false, reason: HISTORY_NOT_A_NUMBER };
  // More than a room keeps gives all it keeps: a client need not know the window.
  return { ok: true, value: { history: Math.min(Number(history), config.historyMessages) } };
}

/** `GET /rooms/:name/history`'s `since` (null: from the window's start) and `limit`. */
export function parsePageRequest(
  params: URLSearchParams,
  config: Config,
): Parsed<{ since: string | null; limit: number }> {
  if (config.historyMessages === 0)
    return { ok: false, reason: HISTORY_OFF.replace(": join without since or history", "") };
  const since = params.get("since");
  if (since !== null && parsePosition(since) === null) return { ok: false, reason: MALFORMED_SINCE };
  const raw = params.get("limit");
  const limit = raw === null ? DEFAULT_PAGE_MESSAGES : DECIMAL_INTEGER.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_MESSAGES))
    return { ok: false, reason: `limit must be a whole number from 1 to ${MAX_PAGE_MESSAGES}` };
  return { ok: true, value: { since, limit } };
}
