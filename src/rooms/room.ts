/**
 * A broadcast room: one Durable Object per room name and, past
 * ROOM_SHARD_CONNECTIONS members, further objects of the same room (shards).
 * Each holds its members' sockets through the WebSocket Hibernation API. A
 * message goes to its shard's members at once and to every other shard through a
 * link (./link.ts); shard 0 also keeps the room's directory (./directory.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { refusedSocket } from "../http/refused-socket";
import { type LogFields, logError, logEvent } from "../log";
import {
  CLOSE_FORBIDDEN,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TOKEN_REFUSED,
  CLOSE_TRY_AGAIN_LATER,
  closeReplyFor,
} from "../protocol/close-codes";
import { messageBytes } from "../protocol/frames";
import { TOKEN_EXPIRED_REASON, TokenExpiry } from "./access/expiry";
import { Alarms } from "./alarms";
import type { HistoryQuery, HistoryRead } from "./history/catch-up";
import { parsePosition } from "./history/position";
import { parseHistoryQuery } from "./history/read";
import { type HistoryPage, RoomHistory } from "./history/room-history";
import type { Entry } from "./history/store";
import { type HistoryWindow, JOIN_TICKET_HEADER, type JoinTicket, parseHistoryWindow, parseJoinTicket } from "./member";
import { Members } from "./members";
import { type CountReading, parseCountReading } from "./shards/count-reading";
import type { Admission, RoomCount } from "./shards/directory";
import { DIRECTORY_SHARD, parseShardList, type ShardList } from "./shards/names";
import { placeAt, ROOM_BUSY_REASON, ROOM_FULL_REASON } from "./shards/placement";
import {
  type LargeRelay,
  type Payload,
  parseLargeRelay,
  parseRelayBatch,
  type RelayBatch,
  type RelayMeta,
} from "./shards/relay-messages";
import { Shard } from "./shards/shard";
import { isIntegerIn } from "./validate";

/** The keep-alive pair the runtime answers itself, so a member's keep-alives never wake the room. */
export const KEEPALIVE_REQUEST = "ping";
export const KEEPALIVE_RESPONSE = "pong";
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
}

/** The close reason (with 4403) for a read-only member that sent a message: nothing of it was relayed. */
export const READ_ONLY_SENT_REASON = "read-only member: this token does not allow sending";

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
    () => void this.countChanged(),
  );
  private built: Shard | null = null;
  /** The object's one alarm, shared by its parts; each registers its handler in the constructor. */
  private readonly alarms = new Alarms(this.ctx.storage);
  private readonly history = new RoomHistory(
    this.ctx,
    () => this.shard.address.index,
    this.alarms,
    (recipients, sender, message, size, echo) => this.members.deliverTo(recipients, sender, message, size, echo),
  );
  private readonly expiry = new TokenExpiry(
    () => this.ctx.getWebSockets(),
    this.alarms,
    (socket) => this.members.close(socket, CLOSE_TOKEN_REFUSED, TOKEN_EXPIRED_REASON),
  );

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE_REQUEST, KEEPALIVE_RESPONSE));
  }

  /** A join sent by the Worker (src/rooms/join.ts), carrying its `JoinTicket`. */
  override async fetch(request: Request): Promise<Response> {
    try {
      const ticket = parseJoinTicket(request.headers.get(JOIN_TICKET_HEADER));
      if (ticket === null) throw new TypeError(`missing or malformed ${JOIN_TICKET_HEADER} header`);
      return this.shard.directory === null ? await this.joinShard(ticket) : await this.joinDirectory(ticket);
    } catch (error) {
      logError("room_join_failed", error, this.where());
      return refusedSocket(CLOSE_INTERNAL_ERROR, "could not join the room", null);
    }
  }

  /** Shard 0 takes a join while it has places; else the directory sends it to another shard. */
  private async joinDirectory(ticket: JoinTicket): Promise<Response> {
    const local = () => this.members.count();
    const placement = await this.directory.place(local, ticket.shardConnections, ticket.maxConnections);
    if (placement.kind === "shard") return placeAt(placement.index);
    if (placement.kind === "full") return refusedSocket(CLOSE_TRY_AGAIN_LATER, ROOM_FULL_REASON, ticket.protocol);
    return this.accept(ticket);
  }

  /**
   * Any other shard: full, it sends the join back to the directory, having told it
   * so. Else it holds a place while the directory checks the room's total, which
   * joins on every shard pass one at a time, so racing joins never overfill.
   */
  private async joinShard(ticket: JoinTicket): Promise<Response> {
    if (this.shard.occupancy() >= ticket.shardConnections) {
      await this.countChanged();
      return placeAt(DIRECTORY_SHARD);
    }
    const admission = await this.shard.admit(ticket.maxConnections);
    try {
      if (admission.kind === "admitted") return this.accept(ticket);
    } finally {
      this.shard.release();
    }
    void this.countChanged();
    const reason = admission.kind === "full" ? ROOM_FULL_REASON : ROOM_BUSY_REASON;
    return refusedSocket(CLOSE_TRY_AGAIN_LATER, reason, ticket.protocol);
  }

  /** Lets the member in; a token that will expire asks for a wake at its `exp`. */
  private accept(ticket: JoinTicket): Response {
    const { response, socket } = this.members.accept(ticket);
    this.ctx.waitUntil(this.expiry.joined(ticket.access.expires));
    this.history.configure(ticket.history);
    if (ticket.position !== null)
      this.history.join(
        socket,
        ticket.position,
        this.shard.historySources((query) => this.history.read(query)),
      );
    return response;
  }

  /** Shard 0: members in the whole room and the objects it spans (see `COUNT_TRUSTED_MS`). */
  count(): Promise<RoomCount> {
    return this.directory.count(() => this.members.count());
  }

  /** Any shard: its count now, for the directory, which checks old counts against live sockets. */
  census(): CountReading {
    return this.shard.census();
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    // Closed by us a moment ago (too big, too fast): the rest of its pipeline is dropped.
    if (socket.readyState !== WebSocket.OPEN) return;
    const member = this.members.memberOf(socket);
    if (member === null) return;
    const size = messageBytes(message);
    if (TokenExpiry.expired(member, Date.now())) {
      this.members.close(socket, CLOSE_TOKEN_REFUSED, TOKEN_EXPIRED_REASON);
    } else if (!member.write) {
      this.members.close(socket, CLOSE_FORBIDDEN, READ_ONLY_SENT_REASON);
    } else if (size > member.maxMessageBytes) {
      const reason = `message of ${size} bytes exceeds the ${member.maxMessageBytes}-byte limit`;
      this.members.close(socket, CLOSE_MESSAGE_TOO_BIG, reason);
    } else if (!this.members.withinRate(member)) {
      const reason = `rate limit: over ${member.maxMessagesPerSecond} messages per second`;
      this.members.close(socket, CLOSE_POLICY_VIOLATION, reason);
    } else {
      this.originate(message, size, { socket, sender: member.sub ?? member.id, echo: member.echo, via: null });
    }
  }

  /**
   * A message entering the room at this object: to its members at once, and to every
   * other shard through its link. Every way into the room (a member's socket, a publish)
   * comes through here.
   */
  private originate(message: Payload, size: number, origin: Origin): void {
    // Written first: the runtime holds every frame sent after it until the write is stored.
    const entry = this.history.enter(message, origin.sender, origin.via);
    this.deliver(entry, message, size, origin.socket, origin.echo);
    // Not returned: the runtime holds a socket's next message until the handler's promise settles.
    // Calls in flight keep the object from eviction (compatibility date 2026-10-01 on); waitUntil says so.
    const meta = entry === null ? undefined : metaOf(entry);
    const relayed = this.shard.relay.send(message, origin.sender, meta);
    if (relayed !== undefined) this.ctx.waitUntil(relayed);
  }

  /**
   * Shard 0: a message published over HTTP (`POST /rooms/:name`, checked by the Worker),
   * to every member on every object, as if a member had sent it.
   */
  publish(message: Payload, sender: string, window: HistoryWindow): void {
    const history = parseHistoryWindow(window);
    if ((typeof message !== "string" && !(message instanceof ArrayBuffer)) || typeof sender !== "string" || !history)
      throw new TypeError("malformed publish");
    this.history.configure(history);
    this.originate(message, messageBytes(message), { socket: null, sender, echo: false, via: "http" });
  }

  /** Any shard: its own history, for a catch-up elsewhere. */
  historyRead(query: HistoryQuery): HistoryRead {
    const parsed = parseHistoryQuery(query);
    if (parsed === null) throw new TypeError("malformed history query");
    return this.history.read(parsed);
  }

  /** Shard 0: the objects whose history may hold the room's messages. */
  historyOrigins(): number[] {
    return this.directory.origins();
  }

  /** Shard 0: `GET /rooms/:name/history` (the Worker checked `since` and `limit`). */
  historyPage(since: string | null, limit: number, window: HistoryWindow): Promise<HistoryPage> {
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
    this.receive(parsed.from, parsed.incarnation, parsed.missed, parsed.messages, parsed.meta);
  }

  /** Another shard's member's message too large for `relay`, as a stream of its bytes. */
  async relayLarge(message: LargeRelay): Promise<void> {
    const parsed = parseLargeRelay(message);
    if (parsed === null) throw new TypeError("malformed large relay");
    const bytes = await new Response(parsed.body).arrayBuffer();
    const payload = parsed.text ? new TextDecoder().decode(bytes) : bytes;
    this.receive(parsed.from, parsed.incarnation, parsed.missed, [payload], parsed.meta ? [parsed.meta] : undefined);
  }

  private receive(
    from: number,
    incarnation: number,
    missed: number,
    messages: readonly Payload[],
    meta: readonly RelayMeta[] | undefined,
  ): void {
    // Meant for an earlier life of this shard: its members left, and today's joined after.
    if (!this.shard.current(incarnation)) return;
    if (missed > 0) this.members.missed(from, missed);
    messages.forEach((message, at) => {
      const entry = this.history.relayed(from, message, meta?.[at]);
      this.deliver(entry, message, messageBytes(message), null, false);
    });
    // Relayed to with nobody here: a restart lost this shard's sockets, and the directory still counts them.
    if (this.shard.occupancy() === 0) void this.countChanged();
  }

  /** The directory's new shard list; one older than this shard's is ignored. */
  setShards(list: ShardList): void {
    const parsed = parseShardList(list);
    if (parsed === null) throw new TypeError("malformed shard list");
    this.shard.follow(parsed);
  }

  /** Shard 0: shard `index` asks to take a join that would make its count `reading` (see `Directory.admit`). */
  admit(index: number, reading: CountReading, maxConnections: number): Promise<Admission> {
    const parsed = parseCountReading(reading);
    if (!isIntegerIn(index, 1, MAX) || !isIntegerIn(maxConnections, 1, MAX) || parsed === null || parsed.occupancy < 1)
      throw new TypeError("malformed admission");
    return this.directory.admit(index, parsed, maxConnections, () => this.members.count());
  }

  /** Shard 0: shard `index` now holds `reading.occupancy` members. */
  report(index: number, reading: CountReading): void {
    const parsed = parseCountReading(reading);
    if (!isIntegerIn(index, 1, MAX) || parsed === null) throw new TypeError("malformed report");
    this.directory.report(index, parsed);
    this.directory.emptied(this.members.count());
  }

  /** The object's one alarm: each part that asked for a wake (./alarms.ts) handles its own. */
  override async alarm(): Promise<void> {
    void this.shard; // builds the parts, which register their handlers
    await this.alarms.run(Date.now(), (kind, error) => logError("room_alarm_failed", error, { ...this.where(), kind }));
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
    const member = this.members.forget(socket);
    this.history.delivery.forget(socket);
    // CLOSED: we sent the first close frame and this is the answer; nothing is owed.
    // Otherwise the peer started it, and for hibernatable sockets the runtime leaves
    // the answer to us (checked on compat date 2026-11-01: CLOSING here, nothing sent).
    const closedBy = socket.readyState === WebSocket.CLOSED ? "server" : "client";
    if (closedBy === "client") {
      // The directory hears of the leave before the member does: a count read after the close is exact.
      await this.countChanged();
      const reply = closeReplyFor(code, reason, wasClean);
      if (reply !== null) this.members.closeQuietly(socket, reply.code, reply.reason);
    }
    const durationMs = member === null ? undefined : Date.now() - member.joinedAt;
    logEvent("room_member_left", { ...this.where(), socket: member?.id, code, closedBy, clean: wasClean, durationMs });
  }

  override webSocketError(socket: WebSocket, error: unknown): Promise<void> | undefined {
    const member = this.members.forget(socket);
    this.history.delivery.forget(socket);
    logError("room_socket_error", error, { ...this.where(), socket: member?.id });
    return this.countChanged();
  }

  /** To this object's members: in an envelope to positioned ones when the message is in history. */
  private deliver(entry: Entry | null, message: Payload, size: number, sender: WebSocket | null, echo: boolean): void {
    this.expiry.beforeDelivery(Date.now());
    if (entry === null) this.members.deliver(sender, message, size, echo);
    else this.history.delivery.deliver(entry, size, sender, echo);
  }

  /** Shards but the directory tell it their count changed; the directory counts its own members live. */
  private countChanged(): Promise<void> | undefined {
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

/** What a relay carries of an entry, beside its bytes. */
function metaOf(entry: Entry): RelayMeta {
  const { epoch, offset, time, sender, via } = entry;
  return { epoch, offset, time, sender, via };
}
