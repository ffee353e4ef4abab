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
import { messageBytes } from "../../protocol/frames";
import { type Floors, type Member, parseMember } from "../member";
import type { Payload } from "../shards/relay-messages";
import type { CatchUp } from "./catch-up";
import { envelopeFrame, type Joined } from "./envelope";
import { advanced, encodePosition, type Mark, merged, type Position, parsePosition } from "./position";
import type { Entry } from "./store";

const VECTOR_KEY = "history:delivered";
const EMPTY: Position = { time: 0, marks: new Map() };

/** Sends to some members; drops those that cannot take it (`Members.deliverTo`). */
export type SendTo = (
  recipients: WebSocket[],
  sender: WebSocket | null,
  message: Payload,
  size: number,
  includeSender: boolean,
) => void;

export class PositionedDelivery {
  private vector: Position | null = null;
  /** Live messages for members still catching up, in order. */
  private readonly held = new Map<WebSocket, Entry[]>();
  /** This object's positioned members: found from the attachments once after a wake, then kept. */
  private positioned: Set<WebSocket> | null = null;

  constructor(
    private readonly kv: DurableObjectStorage["kv"],
    private readonly sockets: () => WebSocket[],
    private readonly sendTo: SendTo,
  ) {}

  /** A message this object delivers (it entered here, or another object relayed it). */
  deliver(entry: Entry, size: number, sender: WebSocket | null, includeSender: boolean): void {
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
    const ahead: [WebSocket, Member][] = [];
    for (const socket of this.sockets()) {
      if (!positioned.has(socket)) {
        verbatim.push(socket);
        continue;
      }
      const member = parseMember(socket.deserializeAttachment());
      if (member === null) verbatim.push(socket);
      else if (this.held.has(socket)) {
        if (socket !== sender || includeSender) this.held.get(socket)?.push(entry);
      } else if (member.floors === null) shared.push(socket);
      else ahead.push([socket, member]);
    }
    if (verbatim.length > 0) this.sendTo(verbatim, sender, entry.data, size, includeSender);
    if (shared.length + ahead.length + this.held.size === 0) return;
    this.kv.put(VECTOR_KEY, encodePosition(vector));
    if (shared.length > 0) this.send(shared, sender, envelopeFrame(entry, encodePosition(vector)), includeSender);
    for (const [socket, member] of ahead) this.deliverAhead(socket, member, entry, sender, includeSender);
  }

  /** A positioned member just accepted: live messages wait until its catch-up is sent. */
  hold(socket: WebSocket): void {
    this.positionedMembers().add(socket);
    this.held.set(socket, []);
  }

  /** Sends `joined`, the replay, then what was held (skipping what the replay had); the member goes live. */
  caughtUp(socket: WebSocket, catchUp: CatchUp): void {
    const held = this.held.get(socket) ?? [];
    this.held.delete(socket);
    if (socket.readyState !== WebSocket.OPEN) return;
    const joined: Joined = {
      type: "joined",
      position: encodePosition(catchUp.start),
      recovered: catchUp.recovered,
      replayed: catchUp.replay.length,
      ...(catchUp.historyStart === null ? {} : { start: encodePosition(catchUp.historyStart) }),
    };
    socket.send(JSON.stringify(joined));
    for (const { entry, position } of catchUp.replay) socket.send(envelopeFrame(entry, position));
    let position = catchUp.end;
    for (const entry of held) {
      if (covers(catchUp.floors.get(entry.origin), entry)) continue;
      position = advanced(position, entry.origin, { epoch: entry.epoch, offset: entry.offset }, entry.time);
      socket.send(envelopeFrame(entry, encodePosition(position)));
    }
    this.setFloors(
      socket,
      [...catchUp.floors].map(([origin, mark]) => [origin, mark.epoch, mark.offset] as const),
    );
  }

  /** The member left while catching up. */
  forget(socket: WebSocket): void {
    this.held.delete(socket);
    this.positioned?.delete(socket);
  }

  /** The vector, read from storage after a wake. */
  private delivered(): Position {
    if (this.vector === null) {
      const stored = this.kv.get(VECTOR_KEY);
      this.vector = (typeof stored === "string" ? parsePosition(stored) : null) ?? EMPTY;
    }
    return this.vector;
  }

  /** A member whose catch-up went further than this object has delivered, for some origin. */
  private deliverAhead(socket: WebSocket, member: Member, entry: Entry, sender: WebSocket | null, echo: boolean): void {
    const floors = new Map((member.floors ?? []).map(([origin, epoch, offset]) => [origin, { epoch, offset }]));
    if (!covers(floors.get(entry.origin), entry)) {
      const position = merged(this.delivered(), { time: 0, marks: floors });
      this.send([socket], sender, envelopeFrame(entry, encodePosition(position)), echo);
    }
    // Floors the object has now delivered up to are no longer needed.
    const left = (member.floors ?? []).filter(
      ([origin, epoch, offset]) => !covers(markOf(this.delivered(), origin), { epoch, offset }),
    );
    if (left.length !== member.floors?.length) this.setFloors(socket, left);
  }

  private positionedMembers(): Set<WebSocket> {
    if (this.positioned === null) {
      const found = this.sockets().filter((socket) => parseMember(socket.deserializeAttachment())?.positioned === true);
      this.positioned = new Set(found);
    }
    return this.positioned;
  }

  private setFloors(socket: WebSocket, floors: Floors): void {
    const member = parseMember(socket.deserializeAttachment());
    if (member === null) return;
    const ahead = floors.filter(
      ([origin, epoch, offset]) => !covers(markOf(this.delivered(), origin), { epoch, offset }),
    );
    socket.serializeAttachment({ ...member, floors: ahead.length === 0 ? null : ahead });
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
