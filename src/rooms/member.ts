/**
 * What each member socket carries across hibernation (its attachment), validated when
 * read, since it reaches the Room as untyped data; and the fields it shares with a join's
 * ticket (./join-ticket.ts), checked the same way in both. Pure: unit-tested.
 */
import { PLATFORM_MAX_MESSAGE_BYTES } from "../config";
import type { Access } from "./access/gate";
import { type MemberInfo, parseInfo } from "./access/info";
import { MAX_SUBJECT_LENGTH } from "./access/token";
import { MAX_IDENTITY_LENGTH } from "./acks/identity";
import { CLIENT_ID_PATTERN } from "./client-id";
import { isIntegerIn, isRecord } from "./validate";

/** Who a member is in presence: its token's `sub`, else its `?client=`; null: counted, not listed. */
export function identityOf(member: { readonly sub: string | null; readonly client: string | null }): string | null {
  return member.sub ?? member.client;
}

/**
 * Per origin, the last offset a positioned member already has from its catch-up, while
 * the object has not delivered that far itself: live messages up to it are skipped.
 */
export type Floors = readonly (readonly [origin: number, epoch: string, offset: number])[];

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
  /** The token's `sub`; null in an open room. */
  readonly sub: string | null;
  /** May send; a read-only member that sends is closed 4403. */
  readonly write: boolean;
  /** When its token expires (ms since the epoch): it receives nothing after, and is closed 4401. */
  readonly expires: number | null;
  /** Its token's `info` claim, shown in presence. */
  readonly info: MemberInfo | null;
  /** Receives envelopes rather than verbatim messages. */
  readonly positioned: boolean;
  readonly floors: Floors | null;
  /** Its `?client=`, the identity of an open room's member. */
  readonly client: string | null;
  /** Watches presence (`?presence=1`). */
  readonly watch: boolean;
  /** Joined with `&acks=1`: its messages carry ids and are acked; its identity. Null: no acks. */
  readonly acks: string | null;
}

/** A socket's attachment as a `Member`, or null when it is not one. */
export function parseMember(value: unknown): Member | null {
  if (!isRecord(value)) return null;
  const { id, joinedAt, echo, maxMessageBytes, maxMessagesPerSecond } = value;
  if (typeof id !== "string" || typeof echo !== "boolean") return null;
  if (!isIntegerIn(joinedAt, 0, Number.MAX_SAFE_INTEGER)) return null;
  if (!isIntegerIn(maxMessageBytes, 1, PLATFORM_MAX_MESSAGE_BYTES)) return null;
  if (!isIntegerIn(maxMessagesPerSecond, 0, Number.MAX_SAFE_INTEGER)) return null;
  const access = parseAccess(value);
  if (access === null) return null;
  const { positioned } = value;
  const floors = value.floors === null ? null : parseFloors(value.floors);
  if (typeof positioned !== "boolean" || floors === undefined) return null;
  // Attachments from before presence have neither field, nor from before acks its own.
  const client = value.client ?? null;
  const watch = value.watch ?? false;
  if (!isClient(client) || typeof watch !== "boolean") return null;
  const acks = value.acks === undefined ? null : parseAcks(value.acks);
  if (acks === undefined) return null;
  const fields = { id, joinedAt, echo, maxMessageBytes, maxMessagesPerSecond, ...access, positioned, floors };
  return { ...fields, client, watch, acks };
}

/** An acks identity: null for none, undefined when malformed. */
export function parseAcks(value: unknown): string | null | undefined {
  if (value === null) return null;
  return typeof value === "string" && value.length > 0 && value.length <= MAX_IDENTITY_LENGTH ? value : undefined;
}

function parseFloors(value: unknown): Floors | undefined {
  if (!Array.isArray(value)) return undefined;
  const floors: [number, string, number][] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) return undefined;
    const [origin, epoch, offset] = entry;
    if (!isIntegerIn(origin, 0, Number.MAX_SAFE_INTEGER) || typeof epoch !== "string") return undefined;
    if (!isIntegerIn(offset, 0, Number.MAX_SAFE_INTEGER)) return undefined;
    floors.push([origin, epoch, offset]);
  }
  return floors;
}

/** The access fields of a ticket or attachment, or null when they are not valid. */
export function parseAccess(value: Record<string, unknown>): Access | null {
  const { sub, write, expires } = value;
  if (sub !== null && (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH)) return null;
  if (typeof write !== "boolean") return null;
  if (expires !== null && !isIntegerIn(expires, 0, Number.MAX_SAFE_INTEGER)) return null;
  const info = value.info === undefined || value.info === null ? null : parseInfo(value.info);
  if (info === null && value.info !== undefined && value.info !== null) return null;
  return { sub, write, expires, info };
}

/** A `?client=` as a ticket or attachment carries it: null, or a checked id. */
export function isClient(value: unknown): value is string | null {
  return value === null || (typeof value === "string" && CLIENT_ID_PATTERN.test(value));
}
