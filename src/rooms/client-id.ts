/**
 * `?client=<id>`: who a member of an open room says it is (its presence identity; an
 * unverified claim, like anything in an open room). Accepted on any join; in a private
 * room the token's `sub` is the identity. Parsed here once for every part that reads it. Pure.
 */

/** 1 to 64 printable characters, no spaces: safe as a hibernation tag and in a log. */
export const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

export const INVALID_CLIENT_ID = "invalid client: use 1 to 64 printable ASCII characters without spaces";

export type ClientId =
  | { readonly ok: true; readonly client: string | null }
  | { readonly ok: false; readonly reason: string };

/** The join's `?client=`; null when absent. */
export function parseClientId(params: URLSearchParams): ClientId {
  const client = params.get("client");
  if (client === null) return { ok: true, client: null };
  return CLIENT_ID_PATTERN.test(client) ? { ok: true, client } : { ok: false, reason: INVALID_CLIENT_ID };
}
