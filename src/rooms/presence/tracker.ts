/**
 * Presence over the whole room, kept by the directory (shard 0) only while some member
 * watches it. It adds no mechanism of its own to learn who is where: every join into
 * another shard already passes the directory (an admission, with the join's keys and
 * info), every leave rides on the shard's next count report (the keys that left), and
 * the directory counts its own sockets by their tags (../shards/key-counts.ts). From
 * those counts it sees a user's first connection arrive and last one go, over all
 * objects, and numbers each join and leave within its life in memory. Without watchers
 * it keeps nothing and does nothing. With them, each user present is one storage row,
 * so a wake (or a restart) compares what was announced with what the shards hold now,
 * and a check every `PRESENCE_CHECK_MS` asks the shards, so a shard that restarted,
 * losing its sockets without a report, has its users leave.
 */
import { DEFAULT_ROOM_PRESENCE_MAX } from "../../config";
import { logError } from "../../log";
import { type MemberInfo, parseInfo } from "../access/info";
import type { KeyCounts } from "../shards/key-counts";
import { type KeyCount, userKey, userOf, WATCH_KEY } from "../shards/member-keys";
import { DIRECTORY_SHARD } from "../shards/names";
import type { ObjectPresence } from "./census";
import type { JoinFrame, LeaveFrame, PresenceFrame, PresenceItem, Snapshot } from "./frames";
import { PresenceView } from "./view";

/** How often the directory asks the shards of a watched room who they hold: leaves are true within this and a call. */
export const PRESENCE_CHECK_MS = 15_000;
/** Storage: the room is watched (a wake must compare), and one row per user announced. */
const WATCHED_KEY = "presence:watched";
const USER_PREFIX = "presence:user:";

export interface TrackerPorts {
  readonly kv: DurableObjectStorage["kv"];
  /** Open sockets with `key` on the directory's own object, and all its keys. */
  readonly local: { count(key: string): number; all(): KeyCount[] };
  /** Who the directory's own object holds. */
  readonly localPresence: () => ObjectPresence;
  /** The other shards' key counts, as their readings told the directory. */
  readonly counts: KeyCounts;
  /** The other shards of the room. */
  readonly others: () => number[];
  /** Asks shard `index` who it holds, and records its full reading in `counts`; resolves with who, or null. */
  readonly ask: (index: number) => Promise<ObjectPresence | null>;
  /** Sends `item` to shard `index`'s watchers, the directory's own (`DIRECTORY_SHARD`) too (batched per shard). */
  readonly send: (index: number, item: PresenceItem) => void;
  /** Asks for a `check()` at `at`. */
  readonly wakeAt: (at: number) => void;
  readonly now: () => number;
}

export class PresenceTracker {
  /** Users present and their connections; null while nobody watches (in this life). */
  private view: PresenceView | null = null;
  private readonly infos = new Map<string, MemberInfo | null>();
  readonly life = crypto.randomUUID().slice(0, 8);
  private seq = 0;
  private truncated = false;
  private serial: Promise<unknown> = Promise.resolve();
  /** Whether storage says the room was watched; read once per life. */
  private stored: boolean | undefined;
  /** ROOM_PRESENCE_MAX as the newest join carried it. */
  max = DEFAULT_ROOM_PRESENCE_MAX;

  constructor(private readonly ports: TrackerPorts) {}

  /** Keys' counts changed (a join with `info`, a leave); resolves once joins and leaves are sent. */
  changed(keys: readonly string[], info?: MemberInfo | null): Promise<void> {
    if (info !== undefined) for (const key of keys) this.learn(userOf(key), info);
    // Nobody watches and nobody did: nothing to keep, nothing to wait for.
    if (this.view === null && !this.watched() && !this.wasWatched()) return Promise.resolve();
    return this.run(async () => {
      if (this.view === null) {
        await this.build();
        return;
      }
      for (const key of keys) {
        const id = userOf(key);
        if (id !== null) this.transition(id);
      }
      this.settle();
    });
  }

  /** The snapshot a new watcher gets after `joined`: every user, itself included. */
  snapshot(): Promise<Snapshot> {
    return this.run(async () => {
      if (this.view === null) await this.build();
      return { life: this.life, seq: this.seq, text: (this.view ?? new PresenceView()).json(this.max) };
    });
  }

  /** The periodic check: asks every shard who it holds; users gone from a restarted shard leave. */
  check(): Promise<void> {
    return this.run(async () => {
      if (this.view === null) {
        if (this.wasWatched()) await this.build();
        return;
      }
      await this.askAll();
      this.recomputeAll();
      this.settle();
      if (this.view !== null) this.ports.wakeAt(this.ports.now() + PRESENCE_CHECK_MS);
    });
  }

  /** The frame of a fresh snapshot, for a shard whose watchers missed items. */
  freshItem(): PresenceItem {
    return { seq: this.seq, frame: this.frame() };
  }

  /** Builds the view: what was announced (storage), then who is here now; the differences are announced. */
  private async build(): Promise<void> {
    const view = new PresenceView();
    for (const [key, value] of this.ports.kv.list({ prefix: USER_PREFIX })) {
      const id = key.slice(USER_PREFIX.length);
      const info = value === null ? null : parseInfo(value);
      this.learn(id, info);
      view.set(id, info, 1);
    }
    this.view = view;
    await this.askAll();
    this.recomputeAll();
    this.settle();
  }

  private async askAll(): Promise<void> {
    const answers = await Promise.all(this.ports.others().map((index) => this.ports.ask(index)));
    for (const answer of [this.ports.localPresence(), ...answers])
      for (const [id, info] of answer?.users ?? []) this.learn(id, info);
  }

  private recomputeAll(): void {
    const ids = new Set(this.view?.ids());
    for (const [key] of this.ports.local.all()) ids.add(userOf(key) ?? "");
    for (const index of this.ports.others())
      for (const key of this.ports.counts.keysOf(index)) ids.add(userOf(key) ?? "");
    ids.delete("");
    for (const id of ids) this.transition(id);
  }

  /** Compares user `id`'s connections with the view: a join on the first, a leave on the last. */
  private transition(id: string): void {
    const view = this.view;
    if (view === null) return;
    const before = view.connections(id);
    const now = this.total(userKey(id));
    if (now === 0) {
      if (before === undefined) return;
      view.delete(id);
      this.ports.kv.delete(USER_PREFIX + id);
      this.event({ type: "leave", member: { id } });
    } else if (before === undefined) {
      const info = this.infos.get(id) ?? null;
      view.set(id, info, now);
      this.ports.kv.put(USER_PREFIX + id, info);
      this.event({ type: "join", member: { id, info } });
    } else view.reconnected(id, now);
  }

  /** After changes: the limit's crossing in either direction sends everyone a fresh snapshot; no watcher left, it all goes. */
  private settle(): void {
    const view = this.view;
    if (view === null) return;
    if (!this.watched()) {
      this.forget();
      return;
    }
    if (this.stored !== true) {
      this.ports.kv.put(WATCHED_KEY, true);
      this.stored = true;
      this.ports.wakeAt(this.ports.now() + PRESENCE_CHECK_MS);
    }
    const over = view.size > this.max;
    if (over !== this.truncated) {
      this.truncated = over;
      this.emit(this.frame());
    }
  }

  /** The last watcher left: nothing is kept. */
  private forget(): void {
    this.view = null;
    this.truncated = false;
    for (const [key] of this.ports.kv.list({ prefix: USER_PREFIX })) this.ports.kv.delete(key);
    this.ports.kv.delete(WATCHED_KEY);
    this.stored = false;
  }

  /** Joins and leaves stop while the list is truncated, or is about to be: the watchers know it is a part. */
  private event(frame: JoinFrame | LeaveFrame): void {
    if (!this.truncated && (this.view?.size ?? 0) <= this.max) this.emit(frame);
  }

  private emit(frame: JoinFrame | LeaveFrame | PresenceFrame): void {
    const item = { seq: ++this.seq, frame };
    this.ports.send(DIRECTORY_SHARD, item);
    for (const index of this.ports.others())
      if (this.ports.counts.count(index, WATCH_KEY) > 0) this.ports.send(index, item);
  }

  private frame(): PresenceFrame {
    return (this.view ?? new PresenceView()).frame(this.max);
  }

  private total(key: string): number {
    let total = this.ports.local.count(key);
    for (const index of this.ports.others()) total += this.ports.counts.count(index, key);
    return total;
  }

  private watched(): boolean {
    return this.total(WATCH_KEY) > 0;
  }

  private wasWatched(): boolean {
    this.stored ??= this.ports.kv.get(WATCHED_KEY) === true;
    return this.stored;
  }

  private learn(id: string | null, info: MemberInfo | null): void {
    if (id !== null) this.infos.set(id, info);
  }

  /** One change at a time, in order, so joins and leaves leave in the order they happened. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(work);
    this.serial = next.catch((error: unknown) => logError("room_presence_failed", error, {}));
    return next;
  }
}
