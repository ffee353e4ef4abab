/**
 * Which browser pages may read the service's HTTP answers (`ALLOWED_ORIGINS`), the same
 * rule as for sockets: with the default `*` any page, as with the echo; with a list, a
 * request from any other page is refused outright, so a visitor's browser cannot be
 * used to read a room from a foreign site, nor to publish to it.
 */

import { textResponse } from "./responses";
import { originAllowed } from "./upgrade";

export type CrossOrigin =
  | { readonly ok: true; readonly headers: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly response: Response };

/** Readable from any page, like the echo itself. */
const ANY_ORIGIN = { "Access-Control-Allow-Origin": "*" };

/**
 * The headers that let `request`'s page read the answer, or a 403 when its `Origin` is not
 * allowed to `action` (a phrase: "read rooms"). A request without `Origin` is no browser
 * page's, and is answered (curl, backends); with a list, every answer varies by `Origin`.
 */
export function crossOrigin(request: Request, allowed: "*" | ReadonlySet<string>, action: string): CrossOrigin {
  if (allowed === "*") return { ok: true, headers: ANY_ORIGIN };
  const origin = request.headers.get("Origin");
  if (origin === null) return { ok: true, headers: { Vary: "Origin" } };
  if (!originAllowed(origin, request.url, allowed))
    return {
      ok: false,
      response: textResponse(403, `origin ${origin} is not allowed to ${action}`, { Vary: "Origin" }),
    };
  return { ok: true, headers: { "Access-Control-Allow-Origin": origin, Vary: "Origin" } };
}
