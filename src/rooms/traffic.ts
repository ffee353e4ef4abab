/**
 * The message path through one room object: what a member sends (checked, then let
 * into the room), what a backend publishes, and what other objects relay here. A
 * message entering the room is written to history first, delivered to this object's
 * members at once, and handed to the links to every other object.
 */
import { logError } from "../log";
import {
  CLOSE_FORBIDDEN,
  CLOSE_INTERNAL_ERROR,
  CLOSE_INVALID_PAYLOAD,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TOKEN_REFUSED,
} from "../protocol/close-codes";
import { messageBytes } from "../protocol/frames";
import { TOKEN_EXPIRED_REASON, TokenExpiry } from "./access/expiry";
import { unwrap } from "./acks/frame";
import { ackPosition } from "./history/room-history";
import type { LiveEntry } from "./history/store";
import type { Payload, RelayMeta } from "./message";
import type { RoomParts } from "./parts";

/** The close reason (with 4403) for a read-only member that sent a message: nothing of it was relayed. */
export const READ_ONLY_SENT_REASON = "read-only member: this token does not allow sending";
/** The close reason (with 1011) for a member whose message history could not store: nobody got it. */
export const HISTORY_WRITE_FAILED_REASON = "could not store your message in the room's history; nobody received it";

/** Where a message entering the room came from. */
interface Origin {
  /** The sender's socket; null for a message that came another way. */
  readonly socket: WebSocket | null;
  /** The sender's id: its token's `sub` in a private room, else its socket's id; the publisher's. */
  readonly sender: string;
  /** The sender receives its own message too. */
  readonly echo: boolean;
  /** "http": published with `POST /rooms/:name`. */
  readonly via: "http" | null;
  /** Sent with an id (`&acks=1`, `Idempotency-Key`): kept with it, and acked to `socket`. */
  readonly sent?: { readonly identity: string; readonly id: string };
}

/** A publish's answer with history on: the message's position, and whether it was a repeat. */
export interface Stored {
  readonly position: string;
  readonly duplicate: boolean;
}

export class Traffic {
  constructor(private readonly ports: RoomParts) {}

  /** A member's message: checked against its token and limits, then let into the room. */
  fromMember(socket: WebSocket, message: Payload): void {
    const { members } = this.ports;
    // Closed by us a moment ago (too big, too fast): the rest of its pipeline is dropped.
    if (socket.readyState !== WebSocket.OPEN) return;
    const member = members.memberOf(socket);
    if (member === null) return;
    // An acks member's frame carries an id (acks/frame.ts): the limits apply to the message inside.
    const sent = member.acks === null ? null : unwrap(message);
    const size = messageBytes(sent?.ok === true ? sent.data : message);
    if (TokenExpiry.expired(member, Date.now())) {
      members.close(socket, CLOSE_TOKEN_REFUSED, TOKEN_EXPIRED_REASON);
    } else if (!member.write) {
      members.close(socket, CLOSE_FORBIDDEN, READ_ONLY_SENT_REASON);
    } else if (sent?.ok === false) {
      members.close(socket, CLOSE_INVALID_PAYLOAD, sent.reason);
    } else if (size > member.maxMessageBytes) {
      const reason = `message of ${size} bytes exceeds the ${member.maxMessageBytes}-byte limit`;
      members.close(socket, CLOSE_MESSAGE_TOO_BIG, reason);
    } else if (!members.withinRate(member)) {
      const reason = `rate limit: over ${member.maxMessagesPerSecond} messages per second`;
      members.close(socket, CLOSE_POLICY_VIOLATION, reason);
    } else if (sent?.ok === true && member.acks !== null) {
      this.ports.acks.received(socket, member.acks, sent.id, sent.data);
    } else {
      this.originate(message, size, { socket, sender: member.sub ?? member.id, echo: member.echo, via: null });
    }
  }

  /** An acks member's new message, out of its frame (acks/acks.ts): stored with its id, acked, delivered. */
  withId(socket: WebSocket, id: string, message: Payload): void {
    const member = this.ports.members.memberOf(socket);
    if (member === null || member.acks === null) return;
    const sent = { identity: member.acks, id };
    const origin = { socket, sender: member.sub ?? member.id, echo: member.echo, via: null, sent };
    this.originate(message, messageBytes(message), origin);
  }

  /** A message published over HTTP, as if a member had sent it; one with a key the room has is not again. */
  published(message: Payload, sender: string, sent?: { identity: string; id: string }): Stored | null {
    const first = sent === undefined ? null : this.ports.history.sentAt(sent.identity, sent.id);
    if (first !== null) return { position: first, duplicate: true };
    const entry = this.originate(message, messageBytes(message), {
      socket: null,
      sender,
      echo: false,
      via: "http",
      sent,
    });
    return entry === null ? null : { position: ackPosition(entry.origin, entry), duplicate: false };
  }

  /** Another object's members' messages, in the order it received them. */
  relayed(
    from: number,
    incarnation: number,
    missed: number,
    messages: readonly Payload[],
    meta?: readonly RelayMeta[],
  ): void {
    const shard = this.ports.shard();
    // Meant for an earlier life of this shard: its members left, and today's joined after.
    if (!shard.current(incarnation)) return;
    if (missed > 0) this.ports.members.missed(from, missed);
    messages.forEach((message, at) => {
      const entry = this.ports.history.relayed(from, message, meta?.[at]);
      this.deliver(entry, message, messageBytes(message), null, false);
    });
    // Relayed to with nobody here: a restart lost this shard's sockets, and the directory still counts them.
    if (shard.occupancy() === 0) void this.ports.countChanged();
  }

  /**
   * A message entering the room at this object: to its members at once, and to every
   * other shard through its link. Every way into the room comes through here.
   */
  private originate(message: Payload, size: number, origin: Origin): LiveEntry | null {
    // Written first: the runtime holds every frame sent after it until the write is stored.
    let entry: LiveEntry | null;
    try {
      entry = this.ports.history.enter(message, origin.sender, origin.via, origin.sent);
    } catch (error) {
      // Not stored, so sent nowhere (and never acked); a publish's caller hears of it from the Worker (503).
      if (origin.socket === null) throw error;
      logError("room_history_write_failed", error, { room: this.ports.ctx.id.name });
      this.ports.members.close(origin.socket, CLOSE_INTERNAL_ERROR, HISTORY_WRITE_FAILED_REASON);
      return null;
    }
    // The ack goes before the message itself or anything later reaches its sender.
    if (origin.sent !== undefined && origin.socket !== null && entry !== null)
      this.ports.acks.ack(origin.socket, origin.sent.id, entry);
    this.deliver(entry, message, size, origin.socket, origin.echo);
    // Not returned: the runtime holds a socket's next message until the handler's promise settles.
    // Calls in flight keep the object from eviction (compatibility date 2026-10-01 on); waitUntil says so.
    const relayed = this.ports.shard().relay.send(message, origin.sender, entry === null ? undefined : metaOf(entry));
    if (relayed !== undefined) this.ports.ctx.waitUntil(relayed);
    return entry;
  }

  /** To this object's members: in an envelope to positioned ones when the message is in history. */
  private deliver(
    entry: LiveEntry | null,
    message: Payload,
    size: number,
    sender: WebSocket | null,
    echo: boolean,
  ): void {
    this.ports.expiry.beforeDelivery(Date.now());
    if (entry === null) this.ports.members.deliver(sender, message, size, echo);
    else this.ports.history.delivery.deliver(entry, size, sender, echo);
  }
}

/** What a relay carries of an entry, beside its bytes. */
function metaOf(entry: LiveEntry): RelayMeta {
  const { epoch, offset, time, sender, via, id, identity } = entry;
  const meta = { epoch, offset, time, sender, via };
  return id === undefined || identity === undefined ? meta : { ...meta, id, identity };
}
