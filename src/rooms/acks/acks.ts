/**
 * Acks in one room object, for members that joined with `&acks=1` (their frames
 * unwrapped into (id, message) by the traffic's checks, ./frame.ts): a message whose (identity, id) the room already stored
 * within its window acked again with its first position and not stored or delivered
 * twice; the ack of a new one sent right after its write, before anything else reaches
 * that member (the runtime holds it until the write is stored). A first send asks no
 * other object: the object it enters at knows its own ids. A resend after a drop comes
 * with a resume, whose catch-up read every origin after the member's position, and an
 * unacked message always lies there (its ack would have come before any later message
 * of its object): the ids this identity stored elsewhere are learned from that replay.
 */
import type { CatchUp } from "../history/catch-up";
import { ackPosition, type RoomHistory } from "../history/room-history";
import type { Entry } from "../history/store";
import type { Payload } from "../message";
import { ackFrame } from "./frame";

interface Sent {
  readonly id: string;
  readonly data: Payload;
}

/** Stores a new message sent with an id, acks it and delivers it (a failed write closes the member 1011). */
export type StoreWithId = (socket: WebSocket, id: string, data: Payload) => void;

export class Acks {
  /** Messages from members still catching up: handled once they are live, in order. */
  private readonly waiting = new Map<WebSocket, Sent[]>();
  /** Per member, what its catch-up showed its identity stored at other objects: id → first position. */
  private readonly learned = new Map<WebSocket, Map<string, string>>();

  constructor(
    private readonly history: RoomHistory,
    private readonly store: StoreWithId,
  ) {}

  /** A message from an acks member, out of its frame, that passed the room's checks (token, frame, size, rate). */
  received(socket: WebSocket, identity: string, id: string, data: Payload): void {
    const queued = this.waiting.get(socket);
    // Its catch-up may show this id stored elsewhere: it waits for it.
    if (queued !== undefined) queued.push({ id, data });
    else if (this.history.delivery.catchingUp(socket)) this.waiting.set(socket, [{ id, data }]);
    else this.handle(socket, identity, { id, data });
  }

  /** Right after the write of a message sent with `id`: the ack, ahead of anything else to its sender. */
  ack(socket: WebSocket, id: string, entry: Entry): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(ackFrame(id, ackPosition(entry.origin, entry)));
  }

  /** The member is live: what its catch-up replayed of its own ids is learned, then its waiting frames handled. */
  live(socket: WebSocket, identity: string, catchUp: CatchUp): void {
    const own = catchUp.replay.filter(({ entry }) => entry.identity === identity && entry.id !== undefined);
    if (own.length > 0) {
      const ids = new Map<string, string>();
      for (const { entry } of own) if (entry.id !== undefined) ids.set(entry.id, ackPosition(entry.origin, entry));
      this.learned.set(socket, ids);
    }
    const waiting = this.waiting.get(socket) ?? [];
    this.waiting.delete(socket);
    for (const sent of waiting) {
      if (socket.readyState !== WebSocket.OPEN) return;
      this.handle(socket, identity, sent);
    }
  }

  /** The member left. */
  forget(socket: WebSocket): void {
    this.waiting.delete(socket);
    this.learned.delete(socket);
  }

  private handle(socket: WebSocket, identity: string, sent: Sent): void {
    const first = this.history.sentAt(identity, sent.id) ?? this.learned.get(socket)?.get(sent.id) ?? null;
    if (first !== null) {
      socket.send(ackFrame(sent.id, first));
      return;
    }
    // A write that fails closes the member 1011 (traffic.ts): no ack, and it resends.
    this.store(socket, sent.id, sent.data);
  }
}
