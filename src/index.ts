/**
 * edge-echo: routes each request. WebSocket upgrades on `/` and `/ws` become echo
 * sessions; `/rooms/:name` is a broadcast room; `/info` describes the request;
 * everything else is a static asset.
 */
import { type Config, configFor } from "./config";
import { acceptEcho } from "./echo";
import { infoResponse } from "./info";
import { logError } from "./log";
import { ROOMS_PATH_PREFIX } from "./room-name";
import { handleRoom } from "./rooms";
import { checkUpgrade, isUpgrade, textResponse } from "./upgrade";

export { Room } from "./room";

/** Paths that echo. `/` too: the original page connected to `ws://host/`. */
const ECHO_PATHS = new Set(["/", "/ws"]);
const READ_METHODS = new Set(["GET", "HEAD"]);

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    let config: Config;
    try {
      config = configFor(env);
    } catch (error) {
      return misconfigured(error);
    }

    if (ECHO_PATHS.has(url.pathname)) {
      if (isUpgrade(request)) {
        const check = checkUpgrade(request, config);
        return check.ok ? acceptEcho(url.pathname, config, check.protocol) : check.response;
      }
      if (url.pathname === "/ws") return notAnUpgrade(request);
      if (!READ_METHODS.has(request.method)) return methodNotAllowed(request.method, url.pathname);
    }
    if (url.pathname === "/rooms" || url.pathname.startsWith(ROOMS_PATH_PREFIX)) {
      return handleRoom(request, url, env, config);
    }
    if (url.pathname === "/info") {
      return READ_METHODS.has(request.method) ? infoResponse(request) : methodNotAllowed(request.method, url.pathname);
    }
    return env.ASSETS.fetch(request);
  },
} satisfies ExportedHandler<Env>;

/** Config errors already logged by this isolate: each is logged once, not per request. */
const reported = new WeakSet<object>();

function misconfigured(error: unknown): Response {
  if (typeof error === "object" && error !== null && !reported.has(error)) {
    reported.add(error);
    logError("config_invalid", error);
  }
  return textResponse(500, "service misconfigured: see the Worker's logs");
}

function methodNotAllowed(method: string, path: string): Response {
  return textResponse(405, `${method} is not allowed on ${path}; use GET`, { Allow: "GET, HEAD" });
}

/** A plain HTTP request to a WebSocket endpoint: say what it needs. */
function notAnUpgrade(request: Request): Response {
  if (!READ_METHODS.has(request.method)) {
    return textResponse(405, `${request.method} is not allowed here; open a WebSocket with GET`, { Allow: "GET" });
  }
  return textResponse(426, "this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)", {
    Upgrade: "websocket",
    Connection: "Upgrade",
  });
}
