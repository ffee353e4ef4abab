/**
 * A room object as the host of its members' sockets (WebSocket Hibernation API): its
 * parts, the join the Worker sends it, its members' messages and closes, and its one
 * alarm. What survives hibernation: the sockets, each socket's attachment (`Member`),
 * the ping→pong auto-response, and in storage the room's shard list (on shard 0, the
 * directory). What does not: rate-limit buckets and stubs. Nothing keeps an idle object
 * awake: no timers, no connection to another object, no per-socket state in fields.
 * `Room` (./room.ts) adds the calls the Worker and the room's other objects make to it.
 */
import { DurableObject } from "cloudflare:workers";
import { refusedSocket } from "../http/refused-socket";
import { type LogFields, logError, logEvent } from "../log";
import { CLOSE_INTERNAL_ERROR, CLOSE_TOKEN_REFUSED, closeReplyFor } from "../protocol/close-codes";
import { TOKEN_EXPIRED_REASON, TokenExpiry } from "./access/expiry";
import { Acks } from "./acks/acks";
import { Alarms } from "./alarms";
import { RoomHistory } from "./history/room-history";
import { JOIN_TICKET_HEADER, parseJoinTicket } from "./join-ticket";
import { Joins } from "./joins";
import { Members } from "./members";
import type { RoomParts } from "./parts";
import { RoomPresence } from "./presence/room-presence";
import { shardStub } from "./shards/names";
import { Shard } from "./shards/shard";
import { Traffic } from "./traffic";

/** The keep-alive pair the runtime answers itself, so a member's keep-alives never wake the room. */
export const KEEPALIVE_REQUEST = "ping";
export const KEEPALIVE_RESPONSE = "pong";

export abstract class RoomObject extends DurableObject<Env> {
  protected readonly members = new Members(
    this.ctx,
    () => this.where(),
    (sockets) => void this.countChanged(sockets),
  );
  private built: Shard | null = null;
  /** The object's one alarm, shared by its parts; each registers its handler in the constructor. */
  private readonly alarms = new Alarms(this.ctx.storage);
  protected readonly history = new RoomHistory(
    this.ctx,
    () => this.shard.address.index,
    this.alarms,
    (recipients, sender, message, size, echo) => this.members.deliverTo(recipients, sender, message, size, echo),
    (socket, code, reason) => this.members.close(socket, code, reason),
  );
  private readonly expiry = new TokenExpiry(
    () => this.ctx.getWebSockets(),
    this.alarms,
    (socket) => this.members.close(socket, CLOSE_TOKEN_REFUSED, TOKEN_EXPIRED_REASON),
  );
  protected readonly presence = new RoomPresence(
    this.ctx,
    () => this.shard,
    (index) => shardStub(this.env.ROOMS, this.shard.address.room, index),
    this.alarms,
  );
  private readonly acks = new Acks(this.history, (socket, id, data) => this.traffic.withId(socket, id, data));
  protected readonly parts: RoomParts = {
    presence: this.presence,
    ctx: this.ctx,
    members: this.members,
    history: this.history,
    acks: this.acks,
    expiry: this.expiry,
    shard: () => this.shard,
    countChanged: () => this.countChanged([]),
  };
  private readonly joins = new Joins(this.parts);
  protected readonly traffic = new Traffic(this.parts);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE_REQUEST, KEEPALIVE_RESPONSE));
    this.history.delivery.afterJoined = (socket) => this.presence.watchers.joined(socket);
  }

  /** A join sent by the Worker (src/rooms/join.ts), carrying its `JoinTicket`. */
  override async fetch(request: Request): Promise<Response> {
    try {
      const ticket = parseJoinTicket(request.headers.get(JOIN_TICKET_HEADER));
      if (ticket === null) throw new TypeError(`missing or malformed ${JOIN_TICKET_HEADER} header`);
      return await this.joins.take(ticket);
    } catch (error) {
      logError("room_join_failed", error, this.where());
      return refusedSocket(CLOSE_INTERNAL_ERROR, "could not join the room", null);
    }
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    this.traffic.fromMember(socket, message);
  }

  /** The object's one alarm: each part that asked for a wake (./alarms.ts) handles its own. */
  override async alarm(): Promise<void> {
    void this.shard; // builds the parts, which register their handlers
    await this.alarms.run(Date.now(), (kind, error) => logError("room_alarm_failed", error, { ...this.where(), kind }));
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
    const member = this.members.forget(socket);
    this.history.delivery.forget(socket);
    this.acks.forget(socket);
    // CLOSED: we sent the first close frame and this is the answer; nothing is owed.
    // Otherwise the peer started it, and for hibernatable sockets the runtime leaves
    // the answer to us (checked on compat date 2026-11-01: CLOSING here, nothing sent).
    const closedBy = socket.readyState === WebSocket.CLOSED ? "server" : "client";
    if (closedBy === "client") {
      // The directory hears of the leave before the member does: a count read after the close is exact.
      await this.countChanged([socket]);
      const reply = closeReplyFor(code, reason, wasClean);
      if (reply !== null) this.members.closeQuietly(socket, reply.code, reply.reason);
    }
    const durationMs = member === null ? undefined : Date.now() - member.joinedAt;
    logEvent("room_member_left", { ...this.where(), socket: member?.id, code, closedBy, clean: wasClean, durationMs });
  }

  override webSocketError(socket: WebSocket, error: unknown): Promise<void> | undefined {
    const member = this.members.forget(socket);
    this.history.delivery.forget(socket);
    this.acks.forget(socket);
    logError("room_socket_error", error, { ...this.where(), socket: member?.id });
    return this.countChanged([socket]);
  }

  /** Shards but the directory tell it their count changed, and `left`'s keys; the directory counts its own members live. */
  private countChanged(left: readonly WebSocket[]): Promise<void> | undefined {
    this.shard.left(left);
    this.presence.left(left);
    this.shard.directory?.emptied(this.members.count());
    return this.shard.reporter?.changed();
  }

  protected get shard(): Shard {
    this.built ??= new Shard(this.ctx, this.env.ROOMS, () => this.members.count(), this.alarms);
    return this.built;
  }

  protected get directory() {
    const { directory } = this.shard;
    if (directory === null) throw new Error("only shard 0 of a room keeps its directory");
    return directory;
  }

  /** The room and shard, for logs; the object's id when it is not a room shard. */
  private where(): LogFields {
    const { address } = this.built ?? {};
    return address === undefined
      ? { room: this.ctx.id.name ?? this.ctx.id.toString() }
      : { room: address.room, shard: address.index };
  }
}
