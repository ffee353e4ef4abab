/**
 * A join's `&acks=1` and who the member is to the room's deduplication, checked in the
 * Worker. The identity is the token's `sub` in a private room; in an open room the
 * member names itself with `?client=` (the client module makes a random 128-bit one and
 * keeps it across reconnects). Only the room sees it: envelopes show the message id,
 * never the client, so nobody learns another's identity from them. Pure.
 */
import type { Config } from "../../config";
import { MESSAGE_ID_PATTERN } from "./frame";

/** An identity as the room keeps it: a prefix saying where it came from, then at most 128 characters. */
export const MAX_IDENTITY_LENGTH = 160;

export const ACKS_NOT_ONE = "acks must be 1 (or left out)";
export const ACKS_HISTORY_OFF =
  "acks need history: this service keeps none (ROOM_HISTORY_MESSAGES=0), so it cannot store, ack or deduplicate";
export const ACKS_NOT_POSITIONED =
  "acks=1 needs a positioned join (history=N or since=…): acks and resends rest on positions";
export const ACKS_NEED_CLIENT =
  "acks=1 in an open room needs client=<1 to 64 visible ASCII characters>, the same on every reconnect";
export const KEY_HISTORY_OFF =
  "Idempotency-Key needs history: this service keeps none (ROOM_HISTORY_MESSAGES=0), so it cannot deduplicate";
export const BAD_KEY = "Idempotency-Key must be 1 to 64 visible ASCII characters";

type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Whether a join asks for acks; checked before its position, so history off names acks. */
export function wantsAcks(params: URLSearchParams, config: Config): Checked<boolean> {
  const flag = params.get("acks");
  if (flag === null) return { ok: true, value: false };
  if (flag !== "1") return { ok: false, reason: ACKS_NOT_ONE };
  if (config.historyMessages === 0) return { ok: false, reason: ACKS_HISTORY_OFF };
  if (!params.has("since") && !params.has("history")) return { ok: false, reason: ACKS_NOT_POSITIONED };
  return { ok: true, value: true };
}

/** The identity of a member with acks: its token's `sub`, else its `?client=` (checked by ../client-id.ts). */
export function memberIdentity(client: string | null, sub: string | null): Checked<string> {
  if (sub !== null) return { ok: true, value: `sub:${sub}` };
  if (client === null) return { ok: false, reason: ACKS_NEED_CLIENT };
  return { ok: true, value: `client:${client}` };
}

/** A publish's `Idempotency-Key` as its (identity, id), null without one; refused with history off. */
export function publishKey(
  headers: Headers,
  config: Config,
  sub: string | null,
): Checked<{ identity: string; id: string } | null> {
  const key = headers.get("Idempotency-Key");
  if (key === null) return { ok: true, value: null };
  if (config.historyMessages === 0) return { ok: false, reason: KEY_HISTORY_OFF };
  if (!MESSAGE_ID_PATTERN.test(key)) return { ok: false, reason: BAD_KEY };
  return { ok: true, value: { identity: `http:${sub ?? ""}`, id: key } };
}
