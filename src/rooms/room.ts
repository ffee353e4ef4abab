/**
 * A broadcast room: one Durable Object per room name and, past
 * ROOM_SHARD_CONNECTIONS members, further objects of the same room (shards).
 * Each holds its members' sockets through the WebSocket Hibernation API. This
 * class is the object's surface: the join (./joins.ts), the message path
 * (./traffic.ts), history (./history/), and the calls the room's objects make to
 * each other (./shards/); shard 0 also keeps the room's directory.
 */
import { DurableObject } from "cloudflare:workers";
import { refusedSocket } from "../http/refused-socket";
import { type LogFields, logError, logEvent } from "../log";
import { CLOSE_INTERNAL_ERROR, CLOSE_TOKEN_REFUSED, closeReplyFor } from "../protocol/close-codes";
import { TOKEN_EXPIRED_REASON, TokenExpiry } from "./access/expiry";
import { Acks } from "./acks/acks";
import { Alarms } from "./alarms";
import type { HistoryQuery } from "./history/catch-up";
import { parsePosition } from "./history/position";
import { parseHistoryQuery, toWire, type WireRead } from "./history/read";
import { RoomHistory } from "./history/room-history";
import { Joins } from "./joins";
import { type HistoryWindow, JOIN_TICKET_HEADER, parseHistoryWindow, parseJoinTicket } from "./member";
import { Members } from "./members";
import type { Payload } from "./message";
import type { RoomParts } from "./parts";
import { type PresenceBatch, type PresenceBody, parsePresenceBatch } from "./presence/frames";
import { type PresenceHere, RoomPresence } from "./presence/room-presence";
import { type CountReading, parseCountReading } from "./shards/count-reading";
import type { Admission, RoomCount } from "./shards/directory-answers";
import { type JoinKeys, parseJoinKeys } from "./shards/member-keys";
import { parseShardList, type ShardList, shardStub } from "./shards/names";
import { type LargeRelay, parseLargeRelay, parseRelayBatch, type RelayBatch } from "./shards/relay-messages";
import { Shard } from "./shards/shard";
import { type Stored, Traffic } from "./traffic";
import { isIntegerIn, isRecord, parseSentId } from "./validate";

/** A publish's `Idempotency-Key`, with who published it. */
interface SentKey {
  readonly identity: string;
  readonly id: string;
}

/** The keep-alive pair the runtime answers itself, so a member's keep-alives never wake the room. */
export const KEEPALIVE_REQUEST = "ping";
export const KEEPALIVE_RESPONSE = "pong";
/** Bound for the integers other shards send. */
const MAX = Number.MAX_SAFE_INTEGER;

/**
 * One shard of a room. What survives hibernation: the sockets, each socket's
 * attachment (`Member`), the ping→pong auto-response, and in storage the room's
 * shard list (on shard 0, the directory). What does not: rate-limit buckets and
 * stubs. Nothing keeps an idle shard awake: no timers, no connection to another
 * shard, no per-socket state in fields.
 */
export class Room extends DurableObject<Env> {
  private readonly members = new Members(
    this.ctx,
    () => this.where(),
    (sockets) => void this.countChanged(sockets),
  );
  private built: Shard | null = null;
  /** The object's one alarm, shared by its parts; each registers its handler in the constructor. */
  private readonly alarms = new Alarms(this.ctx.storage);
  private readonly history = new RoomHistory(
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
  private readonly presence = new RoomPresence(
    this.ctx,
    () => this.shard,
    (index) => shardStub(this.env.ROOMS, this.shard.address.room, index),
    this.alarms,
  );
  private readonly acks = new Acks(this.history, (socket, id, data) => this.traffic.withId(socket, id, data));
  private readonly parts: RoomParts = {
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
  private readonly traffic = new Traffic(this.parts);

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

  /** Shard 0: members in the whole room and the objects it spans (see `COUNT_TRUSTED_MS`). */
  count(): Promise<RoomCount> {
    return this.directory.count(() => this.members.count());
  }

  /** Any shard: its count now (with every key's, if `keys`), for the directory, which checks old counts against live sockets. */
  census(keys?: boolean): CountReading {
    return this.shard.census(keys === true);
  }

  /** Shard 0: `GET /rooms/:name/presence`, listing at most `max` users. */
  presenceList(max: number): Promise<PresenceBody> {
    if (!isIntegerIn(max, 1, MAX)) throw new TypeError("malformed presence request");
    return this.presence.gather(max);
  }

  /** Any shard: who it holds, and its full count reading, for shard 0. */
  presenceHere(): PresenceHere {
    return this.presence.here();
  }

  /** Shard 0's presence items, for this object's watchers. */
  presenceItems(batch: PresenceBatch): void {
    const parsed = parsePresenceBatch(batch);
    if (parsed === null) throw new TypeError("malformed presence batch");
    this.presence.received(parsed);
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    this.traffic.fromMember(socket, message);
  }

  /**
   * Shard 0: a message published over HTTP (`POST /rooms/:name`, checked by the Worker),
   * to every member on every object, as if a member had sent it.
   */
  publish(message: Payload, sender: string, window: HistoryWindow, key: SentKey | null = null): Stored | null {
    const history = parseHistoryWindow(window);
    const sent = key === null ? undefined : isRecord(key) ? (parseSentId(key.id, key.identity) ?? null) : null;
    if ((typeof message !== "string" && !(message instanceof ArrayBuffer)) || typeof sender !== "string" || !history)
      throw new TypeError("malformed publish");
    if (sent === null) throw new TypeError("malformed publish key");
    this.history.configure(history);
    return this.traffic.published(message, sender, sent);
  }

  /** Any shard: its own history, for a catch-up elsewhere (async as every call between objects is). */
  async historyRead(query: HistoryQuery): Promise<WireRead> {
    const parsed = parseHistoryQuery(query);
    if (parsed === null) throw new TypeError("malformed history query");
    return toWire(this.history.read(parsed));
  }

  /** Any shard: the bytes of one message of its history too large for `historyRead`, as a stream. */
  historyBody(epoch: string, offset: number): ReadableStream<Uint8Array> {
    if (typeof epoch !== "string" || !isIntegerIn(offset, 1, MAX))
      throw new TypeError("malformed history body request");
    return this.history.body(epoch, offset);
  }

  /** Shard 0: the objects whose history may hold the room's messages. */
  historyOrigins(): number[] {
    return this.directory.origins();
  }

  /** Shard 0: `GET /rooms/:name/history` (the Worker checked `since` and `limit`): its JSON body, streamed. */
  historyPage(since: string | null, limit: number, window: HistoryWindow): Promise<ReadableStream<Uint8Array>> {
    const history = parseHistoryWindow(window);
    const position = since === null ? null : parsePosition(since);
    if (!isIntegerIn(limit, 1, MAX) || history === null || (since !== null && position === null))
      throw new TypeError("malformed history page request");
    this.history.configure(history);
    return this.history.page(
      position,
      limit,
      this.shard.historySources((query) => this.history.read(query)),
    );
  }

  /** Another shard's members' messages, in the order that shard received them. */
  relay(batch: RelayBatch): void {
    const parsed = parseRelayBatch(batch);
    if (parsed === null) throw new TypeError("malformed relay batch");
    this.traffic.relayed(parsed.from, parsed.incarnation, parsed.missed, parsed.messages, parsed.meta);
  }

  /** Another shard's member's message too large for `relay`, as a stream of its bytes. */
  async relayLarge(message: LargeRelay): Promise<void> {
    const parsed = parseLargeRelay(message);
    if (parsed === null) throw new TypeError("malformed large relay");
    const bytes = await new Response(parsed.body).arrayBuffer();
    const payload = parsed.text ? new TextDecoder().decode(bytes) : bytes;
    const meta = parsed.meta ? [parsed.meta] : undefined;
    this.traffic.relayed(parsed.from, parsed.incarnation, parsed.missed, [payload], meta);
  }

  /** The directory's new shard list; one older than this shard's is ignored. */
  setShards(list: ShardList): void {
    const parsed = parseShardList(list);
    if (parsed === null) throw new TypeError("malformed shard list");
    this.shard.follow(parsed);
  }

  /** Shard 0: shard `index` asks to take a join that would make its count `reading` (see `Directory.admit`). */
  async admit(
    index: number,
    reading: CountReading,
    maxConnections: number,
    join: JoinKeys,
    presenceMax?: number,
  ): Promise<Admission> {
    const parsed = parseCountReading(reading);
    const keys = parseJoinKeys(join);
    if (!isIntegerIn(index, 1, MAX) || !isIntegerIn(maxConnections, 1, MAX) || parsed === null || parsed.occupancy < 1)
      throw new TypeError("malformed admission");
    if (keys === null || (presenceMax !== undefined && !isIntegerIn(presenceMax, 0, MAX)))
      throw new TypeError("malformed admission");
    const admission = await this.directory.admit(index, parsed, maxConnections, () => this.members.count(), keys);
    if (admission.kind !== "admitted") return admission;
    const presence = await this.presence.admitted(keys, presenceMax);
    return presence === undefined ? admission : { ...admission, presence };
  }

  /** Shard 0: shard `index` now holds `reading.occupancy` members. */
  report(index: number, reading: CountReading): void {
    const parsed = parseCountReading(reading);
    if (!isIntegerIn(index, 1, MAX) || parsed === null) throw new TypeError("malformed report");
    this.directory.report(index, parsed);
    this.directory.emptied(this.members.count());
    this.presence.reported((parsed.keys ?? []).map(([key]) => key));
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

  private get shard(): Shard {
    this.built ??= new Shard(this.ctx, this.env.ROOMS, () => this.members.count(), this.alarms);
    return this.built;
  }

  private get directory() {
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
