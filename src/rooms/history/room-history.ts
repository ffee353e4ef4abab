/**
 * A room object's part in its room's history: writing what enters the room here,
 * delivering with envelopes to positioned members, catching a positioned member up
 * as it joins, and answering other objects' reads. The window travels with every
 * join (the Worker parses the config); the object keeps the last one it was given.
 */
import { logError } from "../../log";
import { CLOSE_INTERNAL_ERROR } from "../../protocol/close-codes";
import type { Alarms } from "../alarms";
import { type HistoryWindow, type PositionRequest, parseHistoryWindow } from "../join-ticket";
import type { Payload, RelayMeta } from "../message";
import { type CatchUp, lastMessages, resume } from "./catch-up";
import { bounded, CATCH_UP_TIMEOUT_REASON, ReadTimeoutError } from "./deadline";
import { type CloseMember, PositionedDelivery, type SendTo } from "./delivery";
import { historyPage } from "./page";
import { encodePosition, type Position, parsePosition } from "./position";
import type { LimitedQuery } from "./read";
import { type Identity, SentIds } from "./sent-ids";
import { SharedReads } from "./shared-reads";
import type { HistoryRead, HistorySources } from "./sources";
import { type Entry, EPOCH_KEY, type Extent, HistoryStore, idleExtent, type LiveEntry } from "./store";

const WINDOW_KEY = "history:window";
/** A sweep comes this long after the row it is for expires, so that the row has. */
const SWEEP_SLACK_MS = 1000;
/** The extent of an object that never kept a message. */
const NO_HISTORY: Extent = { epoch: "00000000", first: 1, end: 0 };
/** The close reason (with 1011) for a positioned join whose catch-up failed. */
export const CATCH_UP_FAILED_REASON = "could not read the room's history; rejoin";

export class RoomHistory {
  private store: HistoryStore | null = null;
  private sentIds: SentIds | null = null;
  private window: HistoryWindow | null = null;
  /** A sweep is due in this life of the object: no need to ask again with each message. */
  private sweepAsked = false;
  readonly delivery: PositionedDelivery;
  /** Catch-ups at the same time read each origin once between them. */
  private readonly shared = new SharedReads();

  /** @param origin this object's shard index: messages entering here have it as origin */
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly origin: () => number,
    private readonly alarms: Alarms,
    sendTo: SendTo,
    private readonly close: CloseMember,
  ) {
    this.delivery = new PositionedDelivery(ctx.storage.kv, () => ctx.getWebSockets(), sendTo, close);
    alarms.on("sweep", () => this.sweep());
  }

  /** The window in force, as the last join or publish said; history is off at 0 messages. */
  configure(window: HistoryWindow): void {
    const current = this.current();
    if (current?.messages === window.messages && current.seconds === window.seconds) return;
    // Turned off: what was kept while it was on is deleted now (no sweep would come for it).
    if (window.messages === 0 && current !== null && current.messages > 0) {
      this.open()?.clear();
      this.ids().sweep(Number.MAX_SAFE_INTEGER);
    }
    this.window = window;
    this.store = null;
    // With history off, nothing is written at all (but the offset, kept by `clear`).
    if (window.messages > 0) this.ctx.storage.kv.put(WINDOW_KEY, window);
    else if (current !== null) this.ctx.storage.kv.delete(WINDOW_KEY);
    // Messages pass here unwritten while history is off: on again, it starts a new epoch, so no
    // position taken before can resume over them as if nothing were missing.
    if (window.messages === 0 && this.ctx.storage.kv.get(EPOCH_KEY) !== undefined)
      this.ctx.storage.kv.delete(EPOCH_KEY);
  }

  /** Writes a message entering the room here (with the id it was sent with, in the same transaction); null with history off. */
  enter(
    data: Payload,
    sender: string,
    via: "http" | null,
    sent?: { identity: Identity; id: string },
  ): LiveEntry | null {
    const store = this.open();
    if (store === null) return null;
    const now = Date.now();
    const entry =
      sent === undefined
        ? store.append(data, sender, via, now)
        : this.ctx.storage.transactionSync(() => {
            const stored = store.append(data, sender, via, now);
            this.ids().record(sent.identity, sent.id, stored.offset, now, this.window?.messages ?? 0);
            return { ...stored, ...sent };
          });
    // One sweep asked for per life of the object (the alarm keeps asking while rows are left),
    // rather than a storage read for every message.
    if (!this.sweepAsked) {
      this.sweepAsked = true;
      this.ctx.waitUntil(this.alarms.schedule("sweep", nextSweep(now, now, this.window?.seconds ?? 0)));
    }
    return entry;
  }

  /** Where (identity, id) was stored here within the window, as its ack's position; null if it was not. */
  sentAt(identity: Identity, id: string): string | null {
    const store = this.open();
    const sent = store === null ? null : this.ids().find(identity, id);
    if (store === null || sent === null) return null;
    return ackPosition(this.origin(), { epoch: store.epoch, offset: sent.offset, time: sent.time });
  }

  /** A relayed message's place in its origin's history, as an entry. */
  relayed(origin: number, data: Payload, meta: RelayMeta | undefined): LiveEntry | null {
    return meta === undefined ? null : { origin, ...meta, data };
  }

  /**
   * A positioned member was let in: live messages wait while its catch-up is gathered and sent;
   * `live` hears of the catch-up once the member is live.
   */
  join(socket: WebSocket, request: PositionRequest, sources: HistorySources, live?: (catchUp: CatchUp) => void): void {
    this.delivery.hold(socket);
    const joinedAt = Date.now();
    const work = this.catchUp(request, this.shared.over(bounded(sources)), joinedAt)
      .then((catchUp) => {
        this.delivery.caughtUp(socket, catchUp);
        live?.(catchUp);
      })
      .catch((error: unknown) => {
        this.delivery.forget(socket);
        logError("room_catch_up_failed", error, { room: this.ctx.id.name });
        // Closed rather than left live with a gap: the member comes back and tries again.
        const reason = error instanceof ReadTimeoutError ? CATCH_UP_TIMEOUT_REASON : CATCH_UP_FAILED_REASON;
        if (socket.readyState === WebSocket.OPEN) this.close(socket, CLOSE_INTERNAL_ERROR, reason);
      });
    this.ctx.waitUntil(work);
  }

  /** This object's history, for another object or a catch-up here. */
  read(query: LimitedQuery): HistoryRead {
    const store = this.open();
    const now = Date.now();
    if (store === null) return { extent: idleExtent(this.ctx.storage.kv) ?? NO_HISTORY, entries: [] };
    const limit = Math.min(this.window?.messages ?? 0, query.limit ?? Number.MAX_SAFE_INTEGER);
    const entries = "after" in query ? store.after(query.after, limit, now) : lastAndFrom(store, query, limit, now);
    return { extent: store.extent(now), entries: this.ids().attach(entries) };
  }

  /** The bytes of one large message kept here, for another object's replay. */
  body(epoch: string, offset: number): ReadableStream<Uint8Array> {
    const stream = this.open()?.stream(epoch, offset) ?? null;
    if (stream === null) throw new RangeError(`message ${offset} of epoch ${epoch} is not kept here`);
    return stream;
  }

  /** `GET /rooms/:name/history` (on shard 0), streamed (./page.ts). */
  page(since: Position | null, limit: number, sources: HistorySources): Promise<ReadableStream<Uint8Array>> {
    return historyPage(since, limit, bounded(sources));
  }

  private catchUp(request: PositionRequest, sources: HistorySources, joinedAt: number): Promise<CatchUp> {
    const now = Date.now();
    if ("history" in request) return lastMessages(request.history, sources, now, joinedAt);
    const since = parsePosition(request.since);
    if (since === null) throw new TypeError("the Worker let through a malformed since");
    return resume(since, sources, now);
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    const store = this.open();
    const expires = store?.sweep(now) ?? null;
    if (store !== null) this.ids().sweep(now - (this.window?.seconds ?? 0) * 1000);
    this.sweepAsked = expires !== null;
    if (expires !== null) await this.alarms.schedule("sweep", nextSweep(expires, now, this.window?.seconds ?? 0));
    // Empty, with nobody here: the window comes back with the next join; only offset and epoch stay.
    else if (this.ctx.getWebSockets().length === 0) {
      this.ctx.storage.kv.delete(WINDOW_KEY);
      this.window = null;
      this.store = null;
      this.delivery.clear();
    }
  }

  private current(): HistoryWindow | null {
    if (this.window === null) {
      const stored = this.ctx.storage.kv.get(WINDOW_KEY);
      this.window = parseHistoryWindow(stored);
    }
    return this.window;
  }

  private ids(): SentIds {
    this.sentIds ??= new SentIds(this.ctx.storage.sql);
    return this.sentIds;
  }

  private open(): HistoryStore | null {
    const window = this.current();
    if (window === null || window.messages === 0) return null;
    this.store ??= new HistoryStore(this.ctx.storage, this.origin(), window);
    return this.store;
  }
}

/** An ack's position: the message's own place, its origin's mark alone (opaque like every position). */
export function ackPosition(origin: number, at: { epoch: string; offset: number; time: number }): string {
  return encodePosition({ time: at.time, marks: new Map([[origin, { epoch: at.epoch, offset: at.offset }]]) });
}

/** The last `query.last` messages and every one from the time `query.from` on, each once, oldest first. */
function lastAndFrom(store: HistoryStore, query: { last: number; from: number }, limit: number, now: number): Entry[] {
  const last = store.last(query.last, now);
  const seen = new Set(last.map((entry) => entry.offset));
  const since = store.newerThan(query.from - 1, limit, now).filter((entry) => !seen.has(entry.offset));
  return [...last, ...since].sort((a, b) => a.offset - b.offset);
}

/**
 * When to sweep next: once the oldest row left `expires`, but no sooner than a window from
 * `now`. Rows past the window are never read (every read stops at it), so under steady traffic
 * an object wakes once a window rather than each time its oldest row expires (once a second),
 * and a room that fell quiet is swept empty in at most two wakes.
 */
export function nextSweep(expires: number, now: number, windowSeconds: number): number {
  return Math.max(expires, now + windowSeconds * 1000) + SWEEP_SLACK_MS;
}
