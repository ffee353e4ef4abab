/**
 * `/rooms/:name` in the Worker: joins with an upgrade, the live member count with
 * `GET`, a message from a backend with `POST`. Everything that can be checked here
 * is (the name, the upgrade, the token), before the room's Durable Object is
 * touched; the Room then trusts the ticket it is handed.
 */

import type { Config } from "../config";
import { overAddressLimit } from "../http/address-limits";
import { addressKey } from "../http/client-address";
import { crossOrigin } from "../http/cors";
import { refusedSocket } from "../http/refused-socket";
import { READ_METHODS, textResponse } from "../http/responses";
import { checkUpgrade, isUpgrade } from "../http/upgrade";
import { logError } from "../log";
import { CLOSE_FORBIDDEN, CLOSE_INTERNAL_ERROR, CLOSE_TOKEN_REFUSED } from "../protocol/close-codes";
import { roomProtocol } from "./access/carrier";
import { decide, refusal } from "./access/gate";
import { memberIdentity, publishKey, wantsAcks } from "./acks/identity";
import { parseClientId } from "./client-id";
import { parseJoinPosition, parsePageRequest } from "./history/request";
import { joinTicket } from "./join-ticket";
import { parseEchoFlag, parseRoomPath, ROOM_NAME_PATTERN } from "./name";
import { parsePresenceFlag } from "./presence/request";
import { presence, presencePath } from "./presence/route";
import { readPublication } from "./publish";
import type { Room } from "./room";
import type { RoomCount } from "./shards/directory-answers";
import { joinRoom } from "./shards/join";
import { DIRECTORY_SHARD, shardStub } from "./shards/names";

/** The body of `GET /rooms/:name`. */
export interface RoomInfo extends RoomCount {
  readonly name: string;
  /** Messages each of the room's objects keeps for resuming members (`ROOM_HISTORY_MESSAGES`); 0: history off. */
  readonly history: number;
  /** Users presence lists at most (`ROOM_PRESENCE_MAX`); 0: presence off. */
  readonly presence: number;
}

/** The body of a `202` to `POST /rooms/:name`. */
export interface Published {
  readonly room: string;
  readonly type: "text" | "binary";
  readonly bytes: number;
  /** With history on: where the message is in the room's history (the first one's, for a repeat). */
  readonly position?: string;
  /** With history on: true when `Idempotency-Key` named a message already published, not delivered again. */
  readonly duplicate?: boolean;
}

const HISTORY_PATH = /^\/rooms\/([^/]+)\/history$/;
const UNAVAILABLE = "room unavailable, try again";

/** Answers any request under `/rooms/`. */
export async function handleRoom(request: Request, url: URL, env: Env, config: Config): Promise<Response> {
  // Every HTTP answer under /rooms/ (an upgrade's Origin is checked with the upgrade), so no foreign page reads a room.
  const origin = crossOrigin(request, config.allowedOrigins, request.method === "POST" ? "publish" : "read rooms");
  if (!origin.ok && !isUpgrade(request)) return origin.response;
  const cors = origin.ok ? origin.headers : {};
  const historyOf = HISTORY_PATH.exec(url.pathname)?.[1];
  if (historyOf !== undefined && ROOM_NAME_PATTERN.test(historyOf))
    return history(request, url, env, config, historyOf, cors);
  const presenceOf = presencePath(url.pathname);
  if (presenceOf !== null) return presence(request, url, env, config, presenceOf, cors);
  const path = parseRoomPath(url.pathname);
  if (!path.ok) return textResponse(400, path.reason);
  const room = path.name;

  if (isUpgrade(request)) {
    const check = checkUpgrade(request, config);
    if (!check.ok) return check.response;
    // Never the entry that carries a token: `room-token` or one of SUBPROTOCOLS, as the client offered them.
    const protocol = roomProtocol(request.headers.get("Sec-WebSocket-Protocol"), config.subprotocols);
    const flag = parseEchoFlag(url.searchParams);
    if (!flag.ok) return textResponse(400, flag.reason);
    const acks = wantsAcks(url.searchParams, config);
    if (!acks.ok) return textResponse(400, acks.reason);
    const position = parseJoinPosition(url.searchParams, config);
    if (!position.ok) return textResponse(400, position.reason);
    const client = parseClientId(url.searchParams);
    if (!client.ok) return textResponse(400, client.reason);
    const watch = parsePresenceFlag(url.searchParams, position.value, config);
    if (!watch.ok) return textResponse(400, watch.reason);
    const limited = await overAddressLimit("upgrade", request, env, config);
    if (limited !== null) return limited;
    // Refused after the handshake, so a browser's script sees why (it never sees a 401's body).
    const decision = await decide(config.roomAuth, request, url, room, false);
    if (!decision.ok) {
      const code = decision.status === 403 ? CLOSE_FORBIDDEN : CLOSE_TOKEN_REFUSED;
      return refusedSocket(code, decision.problem, protocol);
    }
    const identity = acks.value ? memberIdentity(client.client, decision.access.sub) : null;
    if (identity?.ok === false) return textResponse(400, identity.reason);
    const ticket = joinTicket(
      config,
      flag.echo,
      protocol,
      decision.access,
      position.value,
      addressKey(request),
      { client: client.client, watch: watch.value !== "off", batched: watch.value === "batch" },
      identity?.value,
    );
    try {
      return await joinRoom(env.ROOMS, room, ticket);
    } catch (error) {
      logError("room_unreachable", error, { room });
      return refusedSocket(CLOSE_INTERNAL_ERROR, UNAVAILABLE, protocol);
    }
  }

  if (request.method === "POST") return publish(request, url, env, config, room, cors);
  if (!READ_METHODS.has(request.method)) {
    return textResponse(405, `${request.method} is not allowed on a room; use GET or POST`, {
      Allow: "GET, HEAD, POST",
    });
  }
  const decision = await decide(config.roomAuth, request, url, room, false);
  if (!decision.ok) return refusal(decision);
  let count: RoomCount;
  try {
    count = await shardStub(env.ROOMS, room, DIRECTORY_SHARD).count();
  } catch (error) {
    logError("room_unreachable", error, { room });
    return textResponse(503, UNAVAILABLE, { "Retry-After": "1" });
  }
  const info: RoomInfo = {
    name: room,
    connections: count.connections,
    shards: count.shards,
    history: config.historyMessages,
    presence: config.roomPresenceMax,
  };
  return Response.json(info, { headers: { "Cache-Control": "no-store", ...cors } });
}

/** `POST /rooms/:name`: as open as a join, origins included; with tokens, a token with `write` for the room. */
async function publish(
  request: Request,
  url: URL,
  env: Env,
  config: Config,
  room: string,
  cors: CorsHeaders,
): Promise<Response> {
  const limited = await overAddressLimit("publish", request, env, config);
  if (limited !== null) return limited;
  const decision = await decide(config.roomAuth, request, url, room, true);
  if (!decision.ok) return refusal(decision);
  const key = publishKey(request.headers, config, decision.access.sub);
  if (!key.ok) return textResponse(400, key.reason);
  const publication = await readPublication(request, config);
  if (!publication.ok) return publication.response;
  const { message, size } = publication;
  let stored: Awaited<ReturnType<Room["publish"]>>;
  try {
    const sender = decision.access.sub ?? "http";
    // Keyed or not, a publish enters at shard 0: a repeat is found there, at no further call.
    stored = await shardStub(env.ROOMS, room, DIRECTORY_SHARD).publish(message, sender, windowOf(config), key.value);
  } catch (error) {
    logError("room_unreachable", error, { room });
    return textResponse(503, UNAVAILABLE, { "Retry-After": "1" });
  }
  const published: Published = {
    room,
    type: typeof message === "string" ? "text" : "binary",
    bytes: size,
    ...(stored ?? {}),
  };
  return Response.json(published, { status: 202, headers: cors });
}

/** `GET /rooms/:name/history`: the room's messages after `since`, as JSON envelopes. */
async function history(
  request: Request,
  url: URL,
  env: Env,
  config: Config,
  room: string,
  cors: CorsHeaders,
): Promise<Response> {
  if (!READ_METHODS.has(request.method))
    return textResponse(405, `${request.method} is not allowed; use GET`, { Allow: "GET, HEAD" });
  const page = parsePageRequest(url.searchParams, config);
  if (!page.ok) return textResponse(400, page.reason);
  const limited = await overAddressLimit("history", request, env, config);
  if (limited !== null) return limited;
  const decision = await decide(config.roomAuth, request, url, room, false);
  if (!decision.ok) return refusal(decision);
  const { since, limit } = page.value;
  try {
    const body = await shardStub(env.ROOMS, room, DIRECTORY_SHARD).historyPage(since, limit, windowOf(config));
    const headers = { "Content-Type": "application/json", "Cache-Control": "no-store", ...cors };
    return new Response(body, { headers });
  } catch (error) {
    logError("room_unreachable", error, { room });
    return textResponse(503, UNAVAILABLE, { "Retry-After": "1" });
  }
}

/** The cross-origin headers of an answer (`ALLOWED_ORIGINS`). */
type CorsHeaders = Readonly<Record<string, string>>;

function windowOf(config: Config) {
  return { messages: config.historyMessages, seconds: config.historySeconds };
}
