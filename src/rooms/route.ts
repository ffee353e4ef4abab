/**
 * `/rooms/:name` in the Worker: joins with an upgrade, the live member count
 * without one. Everything that can be checked here is, before the room's Durable
 * Object is touched; the Room then trusts the ticket it is handed.
 */

import type { Config } from "../config";
import { refusedSocket } from "../http/refused-socket";
import { READ_METHODS, textResponse } from "../http/responses";
import { checkUpgrade, isUpgrade } from "../http/upgrade";
import { logError } from "../log";
import { CLOSE_INTERNAL_ERROR } from "../protocol/close-codes";
import { joinTicket } from "./member";
import { parseEchoFlag, parseRoomPath } from "./name";
import type { RoomCount } from "./shards/directory";
import { joinRoom } from "./shards/join";
import { DIRECTORY_SHARD, shardStub } from "./shards/names";

/** The body of `GET /rooms/:name`. */
export interface RoomInfo extends RoomCount {
  readonly name: string;
}

/** Answers any request under `/rooms/`. */
export async function handleRoom(request: Request, url: URL, env: Env, config: Config): Promise<Response> {
  const path = parseRoomPath(url.pathname);
  if (!path.ok) return textResponse(400, path.reason);

  if (isUpgrade(request)) {
    const check = checkUpgrade(request, config);
    if (!check.ok) return check.response;
    const flag = parseEchoFlag(url.searchParams);
    if (!flag.ok) return textResponse(400, flag.reason);
    const ticket = joinTicket(config, flag.echo, check.protocol);
    try {
      return await joinRoom(env.ROOMS, path.name, ticket);
    } catch (error) {
      logError("room_unreachable", error, { room: path.name });
      return refusedSocket(CLOSE_INTERNAL_ERROR, "room unavailable, try again", check.protocol);
    }
  }

  if (!READ_METHODS.has(request.method)) {
    return textResponse(405, `${request.method} is not allowed on a room; use GET`, { Allow: "GET, HEAD" });
  }
  let count: RoomCount;
  try {
    count = await shardStub(env.ROOMS, path.name, DIRECTORY_SHARD).count();
  } catch (error) {
    logError("room_unreachable", error, { room: path.name });
    return textResponse(503, "room unavailable, try again", { "Retry-After": "1" });
  }
  const info: RoomInfo = { name: path.name, connections: count.connections, shards: count.shards };
  // Readable from any page, like the echo itself: a count is no secret.
  return Response.json(info, { headers: { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" } });
}
