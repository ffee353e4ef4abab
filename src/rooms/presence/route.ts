/**
 * `GET /rooms/:name/presence` in the Worker: who is in the room now, over all its
 * objects, as shard 0 gathers it from every object's sockets. Checked like
 * `GET /rooms/:name` (its origin, and a token for the room with `ROOM_AUTH=token`); 400 with presence off.
 */
import type { Config } from "../../config";
import { READ_METHODS, textResponse } from "../../http/responses";
import { logError } from "../../log";
import { decide, refusal } from "../access/gate";
import { ROOM_NAME_PATTERN } from "../name";
import { DIRECTORY_SHARD, shardStub } from "../shards/names";
import { PRESENCE_OFF } from "./request";

const PRESENCE_PATH = /^\/rooms\/([^/]+)\/presence$/;

/** The room a `…/presence` path names, or null when the path is not one. */
export function presencePath(pathname: string): string | null {
  const name = PRESENCE_PATH.exec(pathname)?.[1];
  return name !== undefined && ROOM_NAME_PATTERN.test(name) ? name : null;
}

/** `cors`: the headers the origin check of every `/rooms/` HTTP path gave (src/rooms/route.ts). */
export async function presence(
  request: Request,
  url: URL,
  env: Env,
  config: Config,
  room: string,
  cors: Readonly<Record<string, string>>,
): Promise<Response> {
  if (!READ_METHODS.has(request.method))
    return textResponse(405, `${request.method} is not allowed; use GET`, { Allow: "GET, HEAD" });
  if (config.roomPresenceMax === 0) return textResponse(400, PRESENCE_OFF);
  const decision = await decide(config.roomAuth, request, url, room, false);
  if (!decision.ok) return refusal(decision);
  try {
    const body = await shardStub(env.ROOMS, room, DIRECTORY_SHARD).presenceList(config.roomPresenceMax);
    return Response.json(body, { headers: { "Cache-Control": "no-store", ...cors } });
  } catch (error) {
    logError("room_unreachable", error, { room });
    return textResponse(503, "room unavailable, try again", { "Retry-After": "1" });
  }
}
