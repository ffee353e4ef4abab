/**
 * Where a request carries its room token, and the subprotocol a join is answered with.
 * A URL is written down by every layer a request crosses (the platform's logs and
 * traces record it whole), so a token goes in a header: `Authorization: Bearer`, or,
 * from a browser, which cannot set headers on a WebSocket, a subprotocol entry
 * `room-token.<token>` offered beside `room-token` (or the application's own
 * subprotocol). The server answers that other entry, never the one holding the token.
 * `?token=` is refused unless `ROOM_TOKEN_QUERY=on`.
 */

/** A subprotocol entry that carries a token: this prefix, then the token. */
export const TOKEN_PROTOCOL_PREFIX = "room-token.";
/**
 * The subprotocol a join is answered with when the client offers it (and no subprotocol of
 * `SUBPROTOCOLS` comes first): a browser fails a handshake that answers none of its offers.
 */
export const TOKEN_PROTOCOL = "room-token";
/** The close reason (4401) and 400 text for a token sent as `?token=` while that is refused. */
export const TOKEN_IN_URL =
  "token in the URL refused: offer subprotocols room-token and room-token.<token>, or send Authorization: Bearer";

/** The token a request carries (null for none), or why the way it came is refused. */
export type Carried = { readonly ok: true; readonly token: string | null } | { readonly ok: false };

/**
 * The request's token: `Authorization: Bearer …`, else a `room-token.…` subprotocol entry,
 * else `?token=` when `query` allows it. A `?token=` while it is refused refuses the request,
 * whatever else it carries: the token is already in a URL, and the sender should hear so.
 */
export function carriedToken(request: Request, url: URL, query: boolean): Carried {
  const fromUrl = url.searchParams.get("token");
  if (fromUrl !== null && !query) return { ok: false };
  const header = request.headers.get("Authorization");
  const bearer = header === null ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  return { ok: true, token: bearer ?? protocolToken(request.headers.get("Sec-WebSocket-Protocol")) ?? fromUrl };
}

/** The first `room-token.…` entry's token, or null. */
function protocolToken(offered: string | null): string | null {
  for (const entry of offeredProtocols(offered)) {
    if (entry.startsWith(TOKEN_PROTOCOL_PREFIX)) return entry.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}

/**
 * The subprotocol a room join is answered with: the client's first offer that is `room-token`
 * or one of `supported` (`SUBPROTOCOLS`); never an entry that carries a token; null for none.
 */
export function roomProtocol(offered: string | null, supported: ReadonlySet<string>): string | null {
  for (const entry of offeredProtocols(offered)) {
    if (entry.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    if (entry === TOKEN_PROTOCOL || supported.has(entry)) return entry;
  }
  return null;
}

function offeredProtocols(offered: string | null): string[] {
  return offered === null ? [] : offered.split(",").map((entry) => entry.trim());
}
