/**
 * What the Worker tells a Room about a join: the ticket, in one request header. The
 * Worker checks the request and parses the config once; the Room checks the ticket again
 * when it reads it, since a header reaches it as untyped text. Pure: unit-tested.
 */
import {
  type Config,
  MAX_HISTORY_MESSAGES,
  MAX_HISTORY_SECONDS,
  MAX_ROOM_CONNECTIONS,
  MAX_ROOM_PRESENCE,
  PLATFORM_MAX_MESSAGE_BYTES,
  PLATFORM_MAX_SHARD_CONNECTIONS,
} from "../config";
import { type Access, OPEN_ACCESS } from "./access/gate";
import { identityOf, isClient, type Member, parseAccess, parseAcks } from "./member";
import { type JoinKeys, joinKeys, parseJoinKeys } from "./shards/member-keys";
import { isIntegerIn, isRecord } from "./validate";

/** The request header carrying a `JoinTicket`. Only the Worker can reach a Room, and it always sets this itself. */
export const JOIN_TICKET_HEADER = "X-Room-Join";

/**
 * A join the Worker has checked: the member's choices and the limits in force.
 * The Worker parses the config once and hands the Room these values, so the
 * Room never parses `[vars]` itself.
 */
export interface JoinTicket {
  readonly echo: boolean;
  /** The subprotocol chosen for the 101, or null for none. */
  readonly protocol: string | null;
  /** Members in the whole room, over all its objects. */
  readonly maxConnections: number;
  /** Members one object of the room holds. */
  readonly shardConnections: number;
  readonly maxMessageBytes: number;
  readonly maxMessagesPerSecond: number;
  /** What the member's token grants (everything, in an open room). */
  readonly access: Access;
  /** A positioned join (`?since=` or `?history=`): envelopes, replay, resume. Null: verbatim. */
  readonly position: PositionRequest | null;
  /** What each object of the room keeps (`ROOM_HISTORY_MESSAGES`, `ROOM_HISTORY_SECONDS`); 0 messages: off. */
  readonly history: HistoryWindow;
  /** Its user and address, counted against `ROOM_MAX_PER_USER` and `ROOM_MAX_PER_ADDRESS`; with presence, its watch. */
  readonly keys: JoinKeys;
  /** Its `?client=` (an open room's identity, for presence); null without one. */
  readonly client: string | null;
  /** Joined with `?presence=1` (or `=batch`): gets the presence snapshot after `joined`, then joins and leaves. */
  readonly watch: boolean;
  /** Watches with `?presence=batch`: joins and leaves that come together arrive in one frame. */
  readonly batched: boolean;
  /** Users presence lists at most (`ROOM_PRESENCE_MAX`). */
  readonly presenceMax: number;
  /** Joined with `&acks=1`: who it is to the room's deduplication (acks/identity.ts). Null: no acks. */
  readonly acks: string | null;
}

export interface HistoryWindow {
  readonly messages: number;
  readonly seconds: number;
}

/** What a positioned join asks for: resume after a position, or the last N messages. */
export type PositionRequest = { readonly since: string } | { readonly history: number };

/** The ticket for a join under `config`, from address key `address` (null: unknown). */
export function joinTicket(
  config: Config,
  echo: boolean,
  protocol: string | null,
  access: Access = OPEN_ACCESS,
  position: PositionRequest | null = null,
  address: string | null = null,
  presence: { readonly client: string | null; readonly watch: boolean; readonly batched?: boolean } = {
    client: null,
    watch: false,
  },
  acks: string | null = null,
): JoinTicket {
  const { client, watch } = presence;
  const batched = watch && presence.batched === true;
  // An open room's `?client=` is unverified: it names a user in presence, and no cap counts it.
  const user = access.sub === null && client !== null ? 0 : config.roomMaxPerUser;
  const caps = { user, address: config.roomMaxPerAddress };
  const keys = joinKeys(identityOf({ sub: access.sub, client }), address, caps, watch);
  return {
    keys: access.info === null ? keys : { ...keys, info: access.info },
    client,
    watch,
    batched,
    presenceMax: config.roomPresenceMax,
    access,
    position,
    acks,
    history: { messages: config.historyMessages, seconds: config.historySeconds },
    echo,
    protocol,
    maxConnections: config.roomMaxConnections,
    shardConnections: config.roomShardConnections,
    maxMessageBytes: config.maxMessageBytes,
    maxMessagesPerSecond: config.maxMessagesPerSecond,
  };
}

/** The member a ticket admits. */
export function memberFrom(ticket: JoinTicket, id: string, joinedAt: number): Member {
  const { echo, maxMessageBytes, maxMessagesPerSecond, access, position, client, watch, acks } = ticket;
  return {
    client,
    watch,
    id,
    joinedAt,
    echo,
    maxMessageBytes,
    maxMessagesPerSecond,
    ...access,
    positioned: position !== null,
    floors: null,
    acks,
  };
}

/** The ticket in a join request's header, or null when it is missing or malformed. */
export function parseJoinTicket(header: string | null): JoinTicket | null {
  if (header === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { echo, protocol, maxConnections, shardConnections, maxMessageBytes, maxMessagesPerSecond } = value;
  if (typeof echo !== "boolean" || (protocol !== null && typeof protocol !== "string")) return null;
  if (!isIntegerIn(maxConnections, 1, MAX_ROOM_CONNECTIONS)) return null;
  if (!isIntegerIn(shardConnections, 1, PLATFORM_MAX_SHARD_CONNECTIONS)) return null;
  if (!isIntegerIn(maxMessageBytes, 1, PLATFORM_MAX_MESSAGE_BYTES)) return null;
  if (!isIntegerIn(maxMessagesPerSecond, 0, Number.MAX_SAFE_INTEGER)) return null;
  const access = isRecord(value.access) ? parseAccess(value.access) : null;
  if (access === null) return null;
  const position = parsePositionRequest(value.position);
  const history = parseHistoryWindow(value.history);
  const keys = parseJoinKeys(value.keys);
  if (position === undefined || history === null || keys === null) return null;
  const { client, watch, batched, presenceMax } = value;
  if (!isClient(client) || typeof watch !== "boolean" || !isIntegerIn(presenceMax, 0, MAX_ROOM_PRESENCE)) return null;
  if (typeof batched !== "boolean") return null;
  const acks = parseAcks(value.acks);
  if (acks === undefined) return null;
  return {
    acks,
    client,
    watch,
    batched,
    presenceMax,
    echo,
    protocol,
    maxConnections,
    shardConnections,
    maxMessageBytes,
    maxMessagesPerSecond,
    access,
    position,
    history,
    keys,
  };
}

/** A history window from a ticket or a call, or null when it is not one. */
export function parseHistoryWindow(value: unknown): HistoryWindow | null {
  if (!isRecord(value)) return null;
  const { messages, seconds } = value;
  if (!isIntegerIn(messages, 0, MAX_HISTORY_MESSAGES) || !isIntegerIn(seconds, 1, MAX_HISTORY_SECONDS)) return null;
  return { messages, seconds };
}

/** A ticket's position request: null for none, undefined when malformed. */
function parsePositionRequest(value: unknown): PositionRequest | null | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  if (typeof value.since === "string") return { since: value.since };
  if (isIntegerIn(value.history, 0, Number.MAX_SAFE_INTEGER)) return { history: value.history };
  return undefined;
}
