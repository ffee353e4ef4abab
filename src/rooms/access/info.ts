/**
 * A member's `info`: what others see of it in presence (a display name, an avatar),
 * from its token's optional `info` claim, shown as it is. A JSON object of at most
 * `MAX_INFO_BYTES`, checked wherever it arrives untyped (the token, a ticket, an
 * attachment, a call). Pure.
 */
import { isRecord } from "../validate";

/** The most bytes (UTF-8 of its JSON) an `info` claim may take: it travels with every join and snapshot. */
export const MAX_INFO_BYTES = 1024;

/** A member's info: a JSON object. */
export type MemberInfo = Readonly<Record<string, unknown>>;

/** `value` as info, or null when it is no JSON object of at most `MAX_INFO_BYTES`. */
export function parseInfo(value: unknown): MemberInfo | null {
  if (!isRecord(value)) return null;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return null;
  }
  return new TextEncoder().encode(json).byteLength <= MAX_INFO_BYTES ? value : null;
}
