/**
 * The service's plain HTTP answers: one line of text naming what was wrong, so curl
 * and browsers' devtools both show it.
 */
import { logError } from "../log";

/** Methods that read: everything else is refused on the service's fixed paths. */
export const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/** A plain-text response of one line: `reason` and a newline. */
export function textResponse(status: number, reason: string, headers: Record<string, string> = {}): Response {
  return new Response(`${reason}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

/** A method other than GET or HEAD on a path that only reads. */
export function methodNotAllowed(method: string, path: string): Response {
  return textResponse(405, `${method} is not allowed on ${path}; use GET`, { Allow: "GET, HEAD" });
}

/** A plain HTTP request to a WebSocket endpoint: say what it needs. */
export function notAnUpgrade(request: Request): Response {
  if (!READ_METHODS.has(request.method)) {
    return textResponse(405, `${request.method} is not allowed here; open a WebSocket with GET`, { Allow: "GET" });
  }
  return textResponse(426, "this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)", {
    Upgrade: "websocket",
    Connection: "Upgrade",
  });
}

/** Config errors already logged by this isolate: each is logged once, not per request. */
const reported = new WeakSet<object>();

/** A bad `[vars]` value: a 500 for the client, the details once in the Worker's logs. */
export function misconfigured(error: unknown): Response {
  if (typeof error === "object" && error !== null && !reported.has(error)) {
    reported.add(error);
    logError("config_invalid", error);
  }
  return textResponse(500, "service misconfigured: see the Worker's logs");
}
