/**
 * A broadcast room: one Durable Object per room name, holding its members'
 * sockets through the WebSocket Hibernation API. Every message a member sends
 * goes to every other member, same bytes, same type, in the order it was sent.
 */
import { DurableObject } from "cloudflare:workers";
import { protocolHeader, refusedSocket } from "../http/refused-socket";
import { logError, logEvent } from "../log";
import { SLOW_READER_REASON, SlowReaderError } from "../protocol/backpressure";
import {
  CLOSE_INTERNAL_ERROR,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
  closeReplyFor,
} from "../protocol/close-codes";
import { messageBytes } from "../protocol/frames";
import { TokenBucket } from "../protocol/rate-limit";
import { fanOut } from "./fan-out";
import { JOIN_TICKET_HEADER, type Member, memberFrom, parseJoinTicket, parseMember } from "./member";

/** The keep-alive pair the runtime answers itself, so a member's keep-alives never wake the room. */
export const KEEPALIVE_REQUEST = "ping";
export const KEEPALIVE_RESPONSE = "pong";
/** The close reason a socket gets when the room already has its maximum of members. */
export const ROOM_FULL_REASON = "room full";

/**
 * One room. What survives hibernation: the sockets (the runtime holds them), each
 * socket's attachment (`Member`: id, join time, echo flag, limits) and the
 * ping→pong auto-response. What does not: the rate-limit buckets. Nothing here
 * keeps an idle room awake: no timers, no outgoing I/O, no per-socket state in fields.
 */
export class Room extends DurableObject<Env> {
  /**
   * Token buckets by member id, in memory only: hibernation drops them and each
   * member starts a fresh burst after a wake. Acceptable, since a room hibernates
   * only after sitting idle, and a member sending fast keeps it awake; persisting
   * them would cost a storage write per message.
   */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE_REQUEST, KEEPALIVE_RESPONSE));
  }

  /** A join forwarded by the Worker (src/rooms/route.ts), carrying its `JoinTicket`. */
  override fetch(request: Request): Response {
    try {
      const ticket = parseJoinTicket(request.headers.get(JOIN_TICKET_HEADER));
      if (ticket === null) throw new TypeError(`missing or malformed ${JOIN_TICKET_HEADER} header`);
      if (this.connections() >= ticket.maxConnections) {
        return refusedSocket(CLOSE_TRY_AGAIN_LATER, ROOM_FULL_REASON, ticket.protocol);
      }
      const { 0: client, 1: server } = new WebSocketPair();
      server.serializeAttachment(memberFrom(ticket, crypto.randomUUID(), Date.now()));
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client, headers: protocolHeader(ticket.protocol) });
    } catch (error) {
      logError("room_join_failed", error, { room: this.name });
      return refusedSocket(CLOSE_INTERNAL_ERROR, "could not join the room", null);
    }
  }

  /** The live count: member sockets still open (closing ones no longer count). */
  connections(): number {
    let open = 0;
    for (const socket of this.ctx.getWebSockets()) if (socket.readyState === WebSocket.OPEN) open++;
    return open;
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    // Closed by us a moment ago (too big, too fast): the rest of its pipeline is dropped.
    if (socket.readyState !== WebSocket.OPEN) return;
    const member = this.memberOf(socket);
    if (member === null) return;
    const size = messageBytes(message);
    if (size > member.maxMessageBytes) {
      const reason = `message of ${size} bytes exceeds the ${member.maxMessageBytes}-byte limit`;
      this.close(socket, member.id, CLOSE_MESSAGE_TOO_BIG, reason);
      return;
    }
    if (!this.withinRate(member)) {
      const reason = `rate limit: over ${member.maxMessagesPerSecond} messages per second`;
      this.close(socket, member.id, CLOSE_POLICY_VIOLATION, reason);
      return;
    }
    for (const { recipient, error } of fanOut(this.ctx.getWebSockets(), socket, message, size, member.echo)) {
      // A member that cannot take a message is dropped rather than allowed to stall the room.
      const id = parseMember(recipient.deserializeAttachment())?.id;
      if (error instanceof SlowReaderError) {
        logEvent("room_member_dropped", { room: this.name, socket: id, reason: error.message });
        this.close(recipient, id, CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
      } else {
        logError("room_send_failed", error, { room: this.name, socket: id });
        this.close(recipient, id, CLOSE_INTERNAL_ERROR, "send failed");
      }
    }
  }

  override webSocketClose(socket: WebSocket, code: number, reason: string, wasClean: boolean): void {
    const member = parseMember(socket.deserializeAttachment());
    if (member !== null) this.buckets.delete(member.id);
    // CLOSED: we sent the first close frame and this is the answer; nothing is owed.
    // Otherwise the peer started it, and for hibernatable sockets the runtime leaves
    // the answer to us (checked on compat date 2026-11-01: CLOSING here, nothing sent).
    const closedBy = socket.readyState === WebSocket.CLOSED ? "server" : "client";
    if (closedBy === "client") {
      const reply = closeReplyFor(code, reason, wasClean);
      if (reply !== null) this.close(socket, member?.id, reply.code, reply.reason);
    }
    logEvent("room_member_left", {
      room: this.name,
      socket: member?.id,
      code,
      closedBy,
      clean: wasClean,
      durationMs: member === null ? undefined : Date.now() - member.joinedAt,
    });
  }

  override webSocketError(socket: WebSocket, error: unknown): void {
    const member = parseMember(socket.deserializeAttachment());
    if (member !== null) this.buckets.delete(member.id);
    logError("room_socket_error", error, { room: this.name, socket: member?.id });
  }

  private get name(): string {
    return this.ctx.id.name ?? this.ctx.id.toString();
  }

  /** The socket's attachment; a socket without a valid one is closed, as the room cannot serve it. */
  private memberOf(socket: WebSocket): Member | null {
    const member = parseMember(socket.deserializeAttachment());
    if (member === null) {
      logError("room_member_invalid", new TypeError("socket attachment is not a Member"), { room: this.name });
      this.close(socket, undefined, CLOSE_INTERNAL_ERROR, "internal error");
    }
    return member;
  }

  private withinRate(member: Member): boolean {
    if (member.maxMessagesPerSecond === 0) return true;
    const now = Date.now();
    let bucket = this.buckets.get(member.id);
    if (bucket === undefined) {
      bucket = new TokenBucket(member.maxMessagesPerSecond, now);
      this.buckets.set(member.id, bucket);
    }
    return bucket.take(now);
  }

  private close(socket: WebSocket, id: string | undefined, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch (error) {
      // Expected when the peer is already gone (the socket is closing or closed): nothing is left to tell.
      if (socket.readyState === WebSocket.OPEN)
        logError("room_close_failed", error, { room: this.name, socket: id, code });
    }
  }
}
