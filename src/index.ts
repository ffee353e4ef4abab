/**
 * edge-echo: routes each request. WebSocket upgrades on `/` and `/ws` become echo
 * sessions; `/rooms/:name` is a broadcast room; `/info` describes the request;
 * everything else is a static asset.
 */
import { type Config, configFor } from "./config";
import { echoUpgrade } from "./echo/handshake";
import { overAddressLimit } from "./http/address-limits";
import { infoResponse } from "./http/info";
import { methodNotAllowed, misconfigured, notAnUpgrade, READ_METHODS } from "./http/responses";
import { checkUpgrade, isUpgrade } from "./http/upgrade";
import { ROOMS_PATH_PREFIX } from "./rooms/name";
import { handleRoom } from "./rooms/route";

export { Room } from "./rooms/room";

/** Paths that echo. `/` too: the original page connected to `ws://host/`. */
const ECHO_PATHS = new Set(["/", "/ws"]);

export default {
  async fetch(request, env) {
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
        if (!check.ok) return check.response;
        const limited = await overAddressLimit("upgrade", request, env, config);
        return limited ?? echoUpgrade(request, url, config, check.protocol);
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
