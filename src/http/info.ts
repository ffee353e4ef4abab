/**
 * `GET /info`: the request as the edge saw it, for debugging proxies and clients.
 */

/** Headers that carry credentials: never reflected back. */
const SECRET_HEADERS = new Set(["cookie", "authorization", "proxy-authorization"]);
/** Query parameters that carry credentials (a room token): shown, but with their value hidden. */
const SECRET_PARAMS = ["token"];
const HIDDEN = "[hidden]";
/** Subprotocol entries that carry credentials (a browser's room token, src/rooms/access/carrier.ts): value hidden. */
export const SECRET_PROTOCOL_PREFIX = "room-token.";
/** The `request.cf` fields worth showing; the rest is noise or large. */
const CF_FIELDS = ["colo", "country", "city", "asn", "httpProtocol", "tlsVersion"] as const;

export interface RequestInfo {
  method: string;
  url: string;
  headers: Record<string, string>;
  cf: Partial<Record<(typeof CF_FIELDS)[number], string | number>>;
}

/** Describes a request: method, URL, headers less credentials, and selected `cf` fields. */
export function describeRequest(request: Request): RequestInfo {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (SECRET_HEADERS.has(name)) continue;
    headers[name] = name === "sec-websocket-protocol" ? withoutSecretProtocols(value) : value;
  }
  const cf: RequestInfo["cf"] = {};
  const source: Record<string, unknown> = request.cf ?? {};
  for (const field of CF_FIELDS) {
    const value = source[field];
    if (typeof value === "string" || typeof value === "number") cf[field] = value;
  }
  return { method: request.method, url: withoutSecrets(request.url), headers, cf };
}

/** The URL with the value of every credential parameter hidden. */
function withoutSecrets(raw: string): string {
  const url = new URL(raw);
  if (!SECRET_PARAMS.some((name) => url.searchParams.has(name))) return raw;
  for (const name of SECRET_PARAMS) if (url.searchParams.has(name)) url.searchParams.set(name, HIDDEN);
  return url.toString();
}

/** A `Sec-WebSocket-Protocol` offer with each credential entry's value hidden. */
function withoutSecretProtocols(offer: string): string {
  return offer
    .split(",")
    .map((entry) => entry.trim())
    .map((entry) => (entry.startsWith(SECRET_PROTOCOL_PREFIX) ? `${SECRET_PROTOCOL_PREFIX}${HIDDEN}` : entry))
    .join(", ");
}

/** The `/info` answer: `describeRequest` as JSON, never cached, readable from any page. */
export function infoResponse(request: Request): Response {
  return Response.json(describeRequest(request), {
    headers: { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" },
  });
}
