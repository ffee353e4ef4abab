/**
 * The members one room object holds: letting them in, their sockets (kept by the
 * runtime through hibernation), sending to them, closing them, their rate limits.
 */
import { protocolHeader } from "../http/refused-socket";
import { type LogFields, logError, logEvent } from "../log";
import { SLOW_READER_REASON, SlowReaderError } from "../protocol/backpressure";
import { CLOSE_INTERNAL_ERROR, CLOSE_POLICY_VIOLATION, CLOSE_SERVICE_RESTART } from "../protocol/close-codes";
import { TokenBucket } from "../protocol/rate-limit";
import { fanOut } from "./fan-out";
import { type JoinTicket, memberFrom } from "./join-ticket";
import { type Member, parseMember } from "./member";
import type { Payload } from "./message";
import { BATCHED_TAG } from "./presence/watchers";

/** The close reason (with 1012) for the members of a shard another shard could not reach: they missed messages. */
export const MISSED_MESSAGES_REASON = "missed messages from the rest of the room; rejoin";

export class Members {
  /**
   * Token buckets by member id, in memory only: hibernation drops them and each
   * member starts a fresh burst after a wake. Acceptable, since an object hibernates
   * only after sitting idle, and a member sending fast keeps it awake; persisting
   * them would cost a storage write per message.
   */
  private readonly buckets = new Map<string, TokenBucket>();

  /**
   * @param where the room and shard, for logs
   * @param onClosed called with the members the object closed itself, so its counts can be reported
   */
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly where: () => LogFields,
    private readonly onClosed: (sockets: WebSocket[]) => void,
  ) {}

  /**
   * Lets a member in: its socket, hibernatable, with the `Member` its ticket makes as
   * attachment and its keys (user, address) as tags, by which the room counts them, and
   * `BATCHED_TAG` when it watches presence in batches (a tag, so a wake still knows).
   */
  accept(ticket: JoinTicket): { response: Response; socket: WebSocket } {
    const { 0: client, 1: server } = new WebSocketPair();
    server.serializeAttachment(memberFrom(ticket, crypto.randomUUID(), Date.now()));
    this.ctx.acceptWebSocket(server, ticket.batched ? [...ticket.keys.keys, BATCHED_TAG] : [...ticket.keys.keys]);
    const response = new Response(null, { status: 101, webSocket: client, headers: protocolHeader(ticket.protocol) });
    return { response, socket: server };
  }

  /** Member sockets still open (closing ones no longer count). */
  count(): number {
    let open = 0;
    for (const socket of this.ctx.getWebSockets()) if (socket.readyState === WebSocket.OPEN) open++;
    return open;
  }

  /** Sends to every member (`sender` too only with `includeSender`); drops those that cannot take it. */
  deliver(sender: WebSocket | null, message: Payload, size: number, includeSender: boolean): void {
    this.deliverTo(this.ctx.getWebSockets(), sender, message, size, includeSender);
  }

  /** `deliver` to some members only. */
  deliverTo(
    recipients: Iterable<WebSocket>,
    sender: WebSocket | null,
    message: Payload,
    size: number,
    includeSender: boolean,
  ): void {
    for (const { recipient, error } of fanOut(recipients, sender, message, size, includeSender)) {
      // A member that cannot take a message is dropped rather than allowed to stall the room.
      const id = idOf(recipient);
      if (error instanceof SlowReaderError) {
        logEvent("room_member_dropped", { ...this.where(), socket: id, reason: error.message });
        this.close(recipient, CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
      } else {
        logError("room_send_failed", error, { ...this.where(), socket: id });
        this.close(recipient, CLOSE_INTERNAL_ERROR, "send failed");
      }
    }
  }

  /**
   * Shard `from` could not deliver `count` messages here: every member is closed 1012
   * and rejoins, rather than stay connected unknowingly having missed them.
   */
  missed(from: number, count: number): void {
    const open = this.ctx.getWebSockets().filter((socket) => socket.readyState === WebSocket.OPEN);
    for (const socket of open) this.closeQuietly(socket, CLOSE_SERVICE_RESTART, MISSED_MESSAGES_REASON);
    const error = new Error(`shard ${from} could not deliver ${count} message(s) here`);
    logError("room_messages_missed", error, { ...this.where(), from, closed: open.length });
    if (open.length > 0) this.onClosed(open);
  }

  /** The socket's attachment; a socket without a valid one is closed, as the room cannot serve it. */
  memberOf(socket: WebSocket): Member | null {
    const member = parseMember(socket.deserializeAttachment());
    if (member === null) {
      logError("room_member_invalid", new TypeError("socket attachment is not a Member"), this.where());
      this.close(socket, CLOSE_INTERNAL_ERROR, "internal error");
    }
    return member;
  }

  /** Spends one of the member's tokens; false when it is over its rate. */
  withinRate(member: Member): boolean {
    if (member.maxMessagesPerSecond === 0) return true;
    const now = Date.now();
    let bucket = this.buckets.get(member.id);
    if (bucket === undefined) {
      bucket = new TokenBucket(member.maxMessagesPerSecond, now);
      this.buckets.set(member.id, bucket);
    }
    return bucket.take(now);
  }

  /** The member left: its bucket goes. */
  forget(socket: WebSocket): Member | null {
    const member = parseMember(socket.deserializeAttachment());
    if (member !== null) this.buckets.delete(member.id);
    return member;
  }

  /** Closes a member the object gives up on. */
  close(socket: WebSocket, code: number, reason: string): void {
    this.closeQuietly(socket, code, reason);
    this.onClosed([socket]);
  }

  /** Closes a socket; when that fails because the peer is already gone, there is nothing left to tell. */
  closeQuietly(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch (error) {
      if (socket.readyState === WebSocket.OPEN)
        logError("room_close_failed", error, { ...this.where(), socket: idOf(socket), code });
    }
  }
}

function idOf(socket: WebSocket): string | undefined {
  return parseMember(socket.deserializeAttachment())?.id;
}
