/**
 * Delivery in a room object with history on. Verbatim members get each message as it
 * was sent, as always; positioned members its envelope, whose position is the
 * object's *delivered vector* after it: per origin, the last message this object has
 * delivered. Every member of an object receives the same sequence, so one envelope
 * per message serves them all. The vector is kept in storage (one row, only while the
 * object has positioned members), written with the delivery, so frames and vector
 * leave together. A member catching up has live messages held for it; once it has
 * caught up, live messages it already got from the replay are skipped (its floors).
 */
import { canQueue, SLOW_READER_REASON } from "../../protocol/backpressure";
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER } from "../../protocol/close-codes";
import { messageBytes } from "../../protocol/frames";
import { type Floors, parseMember } from "../member";
import type { Payload } from "../message";
import type { CatchUp } from "./catch-up";
import { envelopeFrame, type Joined } from "./envelope";
import { HoldList } from "./hold-list";
import { advanced, encodePosition, type Mark, merged, type Position, parsePosition } from "./position";
import { sendReplay } from "./replay";
import type { LiveEntry } from "./store";

const VECTOR_KEY = "history:delivered";
const EMPTY: Position = { time: 0, marks: new Map() };

/** The close reason (with 1013) for a member whose catch-up took longer than its hold list could wait. */
export const HOLD_OVERFLOW_REASON = "room busy: too many messages arrived while catching up; rejoin";

/** Sends to some members; drops those that cannot take it (`Members.deliverTo`). */
export type SendTo = (
  recipients: WebSocket[],
  sender: WebSocket | null,
  message: Payload,
  size: number,
  includeSender: boolean,
) => void;

/** Closes a member the object gives up on (`Members.close`). */
export type CloseMember = (socket: WebSocket, code: number, reason: string) => void;

export class PositionedDelivery {
  private vector: Position | null = null;
  /** Live messages for members still catching up, in order, bounded. */
  private readonly held = new HoldList();
  /**
   * This object's positioned members and their floors: read from the attachments once after a
   * wake, then kept in step with them, so that a delivery reads no attachment (reading one per
   * member per message cost a third of the room's deliveries a second, over 11 objects).
   */
  private positioned: Map<WebSocket, Floors | null> | null = null;
  private readonly floorKeys = new WeakMap<Floors, string>();
  /** Called right after a member's `joined` frame, before its replay: what must come first (presence) goes here. */
  afterJoined: ((socket: WebSocket) => void) | null = null;

  constructor(
    private readonly kv: DurableObjectStorage["kv"],
    private readonly sockets: () => WebSocket[],
    private readonly sendTo: SendTo,
    private readonly close: CloseMember,
  ) {}

  /** A message this object delivers (it entered here, or another object relayed it). */
  deliver(entry: LiveEntry, size: number, sender: WebSocket | null, includeSender: boolean): void {
    const vector = advanced(this.delivered(), entry.origin, { epoch: entry.epoch, offset: entry.offset }, entry.time);
    this.vector = vector;
    const positioned = this.positionedMembers();
    // Nobody here is positioned: exactly the delivery of a room without history.
    if (positioned.size === 0) {
      this.sendTo(this.sockets(), sender, entry.data, size, includeSender);
      return;
    }
    const verbatim: WebSocket[] = [];
    const shared: WebSocket[] = [];
    // Members with the same floors (caught up from the same state of a quiet origin) share an envelope.
    const ahead = new Map<string, { floors: Floors; sockets: WebSocket[] }>();
    for (const socket of this.sockets()) {
      const floors = positioned.get(socket);
      if (floors === undefined) verbatim.push(socket);
      else if (this.held.has(socket)) {
        if ((socket !== sender || includeSender) && !this.held.push(socket, entry, size)) this.overflowed(socket);
      } else if (floors === null) shared.push(socket);
      else {
        const key = this.keyOf(floors);
        const group = ahead.get(key);
        if (group === undefined) ahead.set(key, { floors, sockets: [socket] });
        else group.sockets.push(socket);
      }
    }
    if (verbatim.length > 0) this.sendTo(verbatim, sender, entry.data, size, includeSender);
    if (shared.length + ahead.size + this.held.size === 0) return;
    this.kv.put(VECTOR_KEY, encodePosition(vector));
    if (shared.length > 0) this.send(shared, sender, envelopeFrame(entry, encodePosition(vector)), includeSender);
    for (const { floors, sockets } of ahead.values()) this.deliverAhead(sockets, floors, entry, sender, includeSender);
  }

  /** A positioned member just accepted: live messages wait until its catch-up is sent. */
  hold(socket: WebSocket): void {
    this.positionedMembers().set(socket, null);
    this.held.start(socket);
  }

  /**
   * Sends `joined`, the replay (paced, large messages fetched in turn), then what was held
   * meanwhile (skipping what the replay had); the member goes live in the same turn.
   */
  async caughtUp(socket: WebSocket, catchUp: CatchUp): Promise<void> {
    if (socket.readyState !== WebSocket.OPEN || !this.held.has(socket)) return;
    const joined: Joined = {
      type: "joined",
      position: encodePosition(catchUp.start),
      recovered: catchUp.recovered,
      replayed: catchUp.replay.length,
      ...(catchUp.historyStart === null ? {} : { start: encodePosition(catchUp.historyStart) }),
    };
    socket.send(JSON.stringify(joined));
    this.afterJoined?.(socket);
    const stopped = await sendReplay(socket, catchUp.replay);
    if (stopped === "slow") this.close(socket, CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
    // Dropped meanwhile (closed, or its hold list overflowed): nothing more is owed.
    if (stopped !== null || !this.held.has(socket)) return this.forget(socket);
    const held = this.held.take(socket);
    let position = catchUp.end;
    for (const entry of held) {
      if (covers(catchUp.floors.get(entry.origin), entry)) continue;
      position = advanced(position, entry.origin, { epoch: entry.epoch, offset: entry.offset }, entry.time);
      const frame = envelopeFrame(entry, encodePosition(position));
      // Sent in this turn, so that the member goes live with nothing between: checked as live delivery is.
      if (!canQueue(socket.bufferedAmount, messageBytes(frame))) {
        this.forget(socket);
        return this.close(socket, CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
      }
      socket.send(frame);
    }
    this.setFloors(
      socket,
      [...catchUp.floors].map(([origin, mark]) => [origin, mark.epoch, mark.offset] as const),
    );
  }

  /** Whether the member is still catching up (live messages held for it). */
  catchingUp(socket: WebSocket): boolean {
    return this.held.has(socket);
  }

  /** The member left while catching up. */
  forget(socket: WebSocket): void {
    this.held.take(socket);
    this.positioned?.delete(socket);
  }

  /** Nobody is here and history is empty: the vector is not kept. */
  clear(): void {
    this.kv.delete(VECTOR_KEY);
    this.vector = null;
    this.positioned = null;
  }

  /** More arrived for a member catching up than its hold list may keep: it rejoins rather than skip them. */
  private overflowed(socket: WebSocket): void {
    this.forget(socket);
    this.close(socket, CLOSE_TRY_AGAIN_LATER, HOLD_OVERFLOW_REASON);
  }

  /** The vector, read from storage after a wake. */
  private delivered(): Position {
    if (this.vector === null) {
      const stored = this.kv.get(VECTOR_KEY);
      this.vector = (typeof stored === "string" ? parsePosition(stored) : null) ?? EMPTY;
    }
    return this.vector;
  }

  /** Members whose catch-up went further than this object has delivered, for some origin: all with `floors`. */
  private deliverAhead(
    sockets: WebSocket[],
    floors: Floors,
    entry: LiveEntry,
    sender: WebSocket | null,
    echo: boolean,
  ): void {
    const marks = new Map(floors.map(([origin, epoch, offset]) => [origin, { epoch, offset }]));
    if (!covers(marks.get(entry.origin), entry)) {
      const position = merged(this.delivered(), { time: 0, marks });
      this.send(sockets, sender, envelopeFrame(entry, encodePosition(position)), echo);
    }
    // Floors the object has now delivered up to are no longer needed.
    const left = this.needed(floors);
    if (left.length !== floors.length) for (const socket of sockets) this.setFloors(socket, left);
  }

  /** The same text for equal floors, computed once per floors kept. */
  private keyOf(floors: Floors): string {
    let key = this.floorKeys.get(floors);
    if (key === undefined) {
      key = JSON.stringify(floors);
      this.floorKeys.set(floors, key);
    }
    return key;
  }

  private positionedMembers(): Map<WebSocket, Floors | null> {
    if (this.positioned === null) {
      this.positioned = new Map();
      for (const socket of this.sockets()) {
        const member = parseMember(socket.deserializeAttachment());
        if (member?.positioned === true) this.positioned.set(socket, member.floors);
      }
    }
    return this.positioned;
  }

  private setFloors(socket: WebSocket, floors: Floors): void {
    const member = parseMember(socket.deserializeAttachment());
    if (member === null) return;
    const ahead = this.needed(floors);
    const kept = ahead.length === 0 ? null : ahead;
    socket.serializeAttachment({ ...member, floors: kept });
    this.positionedMembers().set(socket, kept);
  }

  /**
   * The floors past what this object has delivered. A floor at offset 0 (an origin with no
   * message yet; offsets start at 1) skips nothing: kept, it would hold its member to an
   * envelope of its own for every message, for good.
   */
  private needed(floors: Floors): Floors {
    return floors.filter(
      ([origin, epoch, offset]) => offset > 0 && !covers(markOf(this.delivered(), origin), { epoch, offset }),
    );
  }

  private send(recipients: WebSocket[], sender: WebSocket | null, frame: Payload, includeSender: boolean): void {
    this.sendTo(recipients, sender, frame, messageBytes(frame), includeSender);
  }
}

/** True when `mark` is at or past `entry` in the same epoch. */
function covers(mark: Mark | undefined, entry: { epoch: string; offset: number } | undefined): boolean {
  return mark !== undefined && entry !== undefined && mark.epoch === entry.epoch && mark.offset >= entry.offset;
}

function markOf(position: Position, origin: number): Mark | undefined {
  return position.marks.get(origin);
}
