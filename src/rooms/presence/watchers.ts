/**
 * The watchers one room object holds (members that joined with `?presence=1`): what
 * the directory announces reaches them here, in order. A new watcher gets its
 * snapshot right after its `joined` frame, then the items numbered after the
 * snapshot, whichever arrived first: the directory's items and a shard's admission
 * travel by different calls. A member never gets its own join. In memory only: a
 * snapshot and items race only while the object is awake.
 */
import { userKey } from "../shards/member-keys";
import type { PresenceBatch, PresenceItem } from "./frames";
import type { Snapshot } from "./tracker";

/** Items kept for watchers being admitted, whose snapshot may be older than what already arrived. */
const RECENT_ITEMS = 1_024;

interface Mark {
  readonly life: string;
  readonly seq: number;
}

interface Pending {
  snapshot: Snapshot | null;
  joined: boolean;
  readonly queued: { life: string; item: PresenceItem }[];
}

/** The part of `ctx` the watchers use. */
export interface WatcherSockets {
  getWebSockets(tag?: string): WebSocket[];
}

export class PresenceWatchers {
  private readonly marks = new Map<WebSocket, Mark>();
  private readonly pending = new Map<WebSocket, Pending>();
  private recent: { life: string; item: PresenceItem }[] = [];

  constructor(
    private readonly sockets: WatcherSockets,
    private readonly watchKey: string,
  ) {}

  /** Items from the directory, in the order it numbered them. */
  received(batch: PresenceBatch): void {
    const watchers = this.sockets.getWebSockets(this.watchKey);
    for (const item of batch.items) {
      this.recent.push({ life: batch.life, item });
      const text = JSON.stringify(item.frame);
      const own = this.ownSockets(item);
      for (const socket of watchers) this.offer(socket, batch.life, item, text, own);
    }
    if (this.recent.length > RECENT_ITEMS) this.recent = this.recent.slice(-RECENT_ITEMS);
  }

  /** A watcher was let in: nothing reaches it before its `joined` frame and its snapshot. */
  hold(socket: WebSocket): void {
    this.pending.set(socket, { snapshot: null, joined: false, queued: [] });
  }

  /** Its snapshot, with the items that arrived before it and come after it. */
  snapshot(socket: WebSocket, snapshot: Snapshot): void {
    const pending = this.pending.get(socket);
    if (pending === undefined) return;
    pending.snapshot = snapshot;
    for (const entry of this.recent)
      if (entry.life === snapshot.life && entry.item.seq > snapshot.seq) pending.queued.push(entry);
    this.flush(socket, pending);
  }

  /** Its `joined` frame was sent. */
  joined(socket: WebSocket): void {
    const pending = this.pending.get(socket);
    if (pending === undefined) return;
    pending.joined = true;
    this.flush(socket, pending);
  }

  forget(socket: WebSocket): void {
    this.marks.delete(socket);
    this.pending.delete(socket);
  }

  private flush(socket: WebSocket, pending: Pending): void {
    const { snapshot } = pending;
    if (snapshot === null || !pending.joined) return;
    this.pending.delete(socket);
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify(snapshot.frame));
    this.marks.set(socket, { life: snapshot.life, seq: snapshot.seq });
    for (const { life, item } of pending.queued) this.offer(socket, life, item);
  }

  /** A join's own user's sockets here: they never get it. */
  private ownSockets(item: PresenceItem): ReadonlySet<WebSocket> {
    const { frame } = item;
    return frame.type === "join" ? new Set(this.sockets.getWebSockets(userKey(frame.member.id))) : new Set();
  }

  private offer(
    socket: WebSocket,
    life: string,
    item: PresenceItem,
    text = JSON.stringify(item.frame),
    own = this.ownSockets(item),
  ): void {
    const pending = this.pending.get(socket);
    if (pending !== undefined) {
      pending.queued.push({ life, item });
      return;
    }
    if (socket.readyState !== WebSocket.OPEN) return;
    const mark = this.marks.get(socket);
    if (mark !== undefined && mark.life === life && item.seq <= mark.seq) return;
    if (own.has(socket)) return;
    try {
      socket.send(text);
    } catch {
      return; // closing: its close handler tells the room
    }
    this.marks.set(socket, { life, seq: item.seq });
  }
}
