/**
 * Acks in one room object, for members that joined with `&acks=1`: their frames
 * unwrapped into (id, message); a message whose (identity, id) the room already stored
 * within its window acked again with its first position and not stored or delivered
 * twice; the ack of a new one sent right after its write, before anything else reaches
 * that member (the runtime holds it until the write is stored). A first send asks no
 * other object: the object it enters at knows its own ids. A resend after a drop comes
 * with a resume, whose catch-up read every origin after the member's position, and an
 * unacked message always lies there (its ack would have come before any later message
 * of its object): the ids this identity stored elsewhere are learned from that replay.
 */
import { logError } from "../../log";
import { CLOSE_INTERNAL_ERROR, CLOSE_INVALID_PAYLOAD } from "../../protocol/close-codes";
import type { CatchUp } from "../history/catch-up";
import { ackPosition, type RoomHistory } from "../history/room-history";
import type { Entry } from "../history/store";
import type { Members } from "../members";
import type { Payload } from "../message";
import { ackFrame, unwrap } from "./frame";

/** The close reason (with 1011) when a message could not be stored: it was not acked; send it again. */
export const NOT_STORED_REASON = "could not store the message: it was not acked; reconnect and send it again";

/** Stores a new message sent with an id; throws when the write fails. */
export type StoreWithId = (socket: WebSocket, id: string, data: Payload) => void;

export class Acks {
  /** Frames from members still catching up: handled once they are live, in order. */
  private readonly waiting = new Map<WebSocket, Payload[]>();
  /** Per member, what its catch-up showed its identity stored at other objects: id → first position. */
  private readonly learned = new Map<WebSocket, Map<string, string>>();

  constructor(
    private readonly history: RoomHistory,
    private readonly members: Members,
    private readonly store: StoreWithId,
    private readonly room: () => string | undefined,
  ) {}

  /** A frame from an acks member that passed the room's checks (token, size, rate). */
  received(socket: WebSocket, identity: string, frame: Payload): void {
    const queued = this.waiting.get(socket);
    if (queued !== undefined) queued.push(frame);
    else if (this.history.delivery.catchingUp(socket)) this.waiting.set(socket, [frame]);
    else this.handle(socket, identity, frame);
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
    const frames = this.waiting.get(socket) ?? [];
    this.waiting.delete(socket);
    for (const frame of frames) {
      if (socket.readyState !== WebSocket.OPEN) return;
      this.handle(socket, identity, frame);
    }
  }

  /** The member left. */
  forget(socket: WebSocket): void {
    this.waiting.delete(socket);
    this.learned.delete(socket);
  }

  private handle(socket: WebSocket, identity: string, frame: Payload): void {
    const sent = unwrap(frame);
    if (!sent.ok) {
      this.members.close(socket, CLOSE_INVALID_PAYLOAD, sent.reason);
      return;
    }
    const first = this.history.sentAt(identity, sent.id) ?? this.learned.get(socket)?.get(sent.id) ?? null;
    if (first !== null) {
      socket.send(ackFrame(sent.id, first));
      return;
    }
    try {
      this.store(socket, sent.id, sent.data);
    } catch (error) {
      // Nothing was stored or sent (the write threw before any delivery): no ack, and the member resends.
      logError("room_message_not_stored", error, { room: this.room() });
      this.members.close(socket, CLOSE_INTERNAL_ERROR, NOT_STORED_REASON);
    }
  }
}
