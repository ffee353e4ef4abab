/**
 * The watchers one room object holds (members that joined with `?presence=1` or
 * `=batch`): what the directory announces reaches them here, in order. A new watcher gets
 * its snapshot right after its `joined` frame, then the items numbered after the
 * snapshot, whichever arrived first: the directory's items and a shard's admission
 * travel by different calls. A member never gets its own join. A batched watcher gets
 * the joins and leaves that arrived together (one call from the directory, at most one
 * per 50 ms: ./announce.ts) in one `presence_batch` frame. In memory only: a snapshot
 * and items race only while the object is awake.
 */
import { userKey } from "../shards/member-keys";
import { batchFrame, type PresenceBatch, type PresenceItem, type Snapshot } from "./frames";

/** The tag of a socket that watches with `?presence=batch` (not a key: nothing counts it). */
export const BATCHED_TAG = "presence:batch";

/** Items kept for watchers being admitted, whose snapshot may be older than what already arrived. */
const RECENT_ITEMS = 1_024;

interface Mark {
  readonly life: string;
  readonly seq: number;
}

interface Entry {
  readonly life: string;
  readonly item: PresenceItem;
}

interface Pending {
  snapshot: Snapshot | null;
  joined: boolean;
  readonly queued: Entry[];
}

/** The part of `ctx` the watchers use. */
export interface WatcherSockets {
  getWebSockets(tag?: string): WebSocket[];
}

/** What one delivery shares between its watchers: each item's text and own sockets, each run's frame. */
class Delivery {
  private readonly texts = new Map<PresenceItem, string>();
  private readonly owners = new Map<PresenceItem, ReadonlySet<WebSocket>>();
  private readonly runs = new Map<string, string>();

  constructor(
    private readonly sockets: WatcherSockets,
    readonly batched: ReadonlySet<WebSocket>,
  ) {}

  text(item: PresenceItem): string {
    let text = this.texts.get(item);
    if (text === undefined) {
      text = JSON.stringify(item.frame);
      this.texts.set(item, text);
    }
    return text;
  }

  /** A join's own user's sockets here: they never get it. */
  own(item: PresenceItem): ReadonlySet<WebSocket> {
    const { frame } = item;
    if (frame.type !== "join") return EMPTY;
    let own = this.owners.get(item);
    if (own === undefined) {
      own = new Set(this.sockets.getWebSockets(userKey(frame.member.id)));
      this.owners.set(item, own);
    }
    return own;
  }

  /** The frame of joins and leaves `run` (two or more), made once for every watcher that gets the same. */
  run(run: readonly PresenceItem[]): string {
    const key = run.map((item) => item.seq).join(",");
    let text = this.runs.get(key);
    if (text === undefined) {
      text = JSON.stringify(batchFrame(run.flatMap(({ frame }) => (frame.type === "presence" ? [] : [frame]))));
      this.runs.set(key, text);
    }
    return text;
  }
}

const EMPTY: ReadonlySet<WebSocket> = new Set();

export class PresenceWatchers {
  private readonly marks = new Map<WebSocket, Mark>();
  private readonly pending = new Map<WebSocket, Pending>();
  private recent: Entry[] = [];
  /** Watchers with `BATCHED_TAG`; null until first needed after a wake. */
  private batched: Set<WebSocket> | null = null;

  constructor(
    private readonly sockets: WatcherSockets,
    private readonly watchKey: string,
  ) {}

  /** Items from the directory, in the order it numbered them. */
  received(batch: PresenceBatch): void {
    const delivery = this.delivery();
    const entries = batch.items.map((item) => ({ life: batch.life, item }));
    this.recent.push(...entries);
    for (const socket of this.sockets.getWebSockets(this.watchKey)) this.offer(socket, entries, delivery);
    if (this.recent.length > RECENT_ITEMS) this.recent = this.recent.slice(-RECENT_ITEMS);
  }

  /** A watcher was let in (`batched`: with `?presence=batch`): nothing reaches it before its `joined` frame and its snapshot. */
  hold(socket: WebSocket, batched: boolean): void {
    this.pending.set(socket, { snapshot: null, joined: false, queued: [] });
    if (batched) this.batchedSockets().add(socket);
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
    this.batched?.delete(socket);
  }

  private delivery(): Delivery {
    return new Delivery(this.sockets, this.batchedSockets());
  }

  private batchedSockets(): Set<WebSocket> {
    this.batched ??= new Set(this.sockets.getWebSockets(BATCHED_TAG));
    return this.batched;
  }

  private flush(socket: WebSocket, pending: Pending): void {
    const { snapshot } = pending;
    if (snapshot === null || !pending.joined) return;
    this.pending.delete(socket);
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(snapshot.text);
    this.marks.set(socket, { life: snapshot.life, seq: snapshot.seq });
    this.offer(socket, pending.queued, this.delivery());
  }

  /** What of `entries` `socket` has not had (nor its own join), sent: a batched watcher's joins and leaves together. */
  private offer(socket: WebSocket, entries: readonly Entry[], delivery: Delivery): void {
    const pending = this.pending.get(socket);
    if (pending !== undefined) {
      pending.queued.push(...entries);
      return;
    }
    if (socket.readyState !== WebSocket.OPEN) return;
    const batched = delivery.batched.has(socket);
    let run: PresenceItem[] = [];
    let runLife = "";
    const sendRun = () => {
      if (run.length === 0) return;
      const [first] = run;
      this.send(
        socket,
        runLife,
        run,
        run.length === 1 && first !== undefined ? delivery.text(first) : delivery.run(run),
      );
      run = [];
    };
    for (const { life, item } of entries) {
      const mark = this.marks.get(socket);
      if (mark !== undefined && mark.life === life && item.seq <= mark.seq) continue;
      if (delivery.own(item).has(socket)) continue;
      if (batched && item.frame.type !== "presence") {
        if (life !== runLife) sendRun();
        runLife = life;
        run.push(item);
        continue;
      }
      sendRun();
      this.send(socket, life, [item], delivery.text(item));
    }
    sendRun();
  }

  private send(socket: WebSocket, life: string, items: readonly PresenceItem[], text: string): void {
    const last = items[items.length - 1];
    if (last === undefined) return;
    try {
      socket.send(text);
    } catch {
      return; // closing: its close handler tells the room
    }
    this.marks.set(socket, { life, seq: last.seq });
  }
}
