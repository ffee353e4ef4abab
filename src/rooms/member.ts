/**
 * What the Worker tells a Room about a join (the ticket, in one request header) and
 * what each member socket carries across hibernation (its attachment). Both reach
 * the Room as untyped data, so both are validated when read. Pure: unit-tested.
 */
import {
  type Config,
  MAX_ROOM_CONNECTIONS,
  PLATFORM_MAX_MESSAGE_BYTES,
  PLATFORM_MAX_SHARD_CONNECTIONS,
} from "../config";
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
}

/**
 * A member socket's attachment: everything the Room knows about it after waking
 * from hibernation. Limits travel with the member, so a config change applies
 * from the next join and a member keeps the limits it joined under.
 */
export interface Member {
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly joinedAt: number;
  /** Joined with `?echo=1`: receives its own messages too. */
  readonly echo: boolean;
  readonly maxMessageBytes: number;
  /** 0: unlimited. */
  readonly maxMessagesPerSecond: number;
}

/** The ticket for a join under `config`. */
export function joinTicket(config: Config, echo: boolean, protocol: string | null): JoinTicket {
  return {
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
  const { echo, maxMessageBytes, maxMessagesPerSecond } = ticket;
  return { id, joinedAt, echo, maxMessageBytes, maxMessagesPerSecond };
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
  return { echo, protocol, maxConnections, shardConnections, maxMessageBytes, maxMessagesPerSecond };
}

/** A socket's attachment as a `Member`, or null when it is not one. */
export function parseMember(value: unknown): Member | null {
  if (!isRecord(value)) return null;
  const { id, joinedAt, echo, maxMessageBytes, maxMessagesPerSecond } = value;
  if (typeof id !== "string" || typeof echo !== "boolean") return null;
  if (!isIntegerIn(joinedAt, 0, Number.MAX_SAFE_INTEGER)) return null;
  if (!isIntegerIn(maxMessageBytes, 1, PLATFORM_MAX_MESSAGE_BYTES)) return null;
  if (!isIntegerIn(maxMessagesPerSecond, 0, Number.MAX_SAFE_INTEGER)) return null;
  return { id, joinedAt, echo, maxMessageBytes, maxMessagesPerSecond };
}
