/**
 * Presence in one room object: its watchers (every object), and on the directory
 * (shard 0) the room-wide tracker, its line to the other shards, and
 * `GET /rooms/:name/presence`, gathered from every object's sockets when asked.
 */
import { logError } from "../../log";
import { CLOSE_INTERNAL_ERROR } from "../../protocol/close-codes";
import type { MemberInfo } from "../access/info";
import type { Alarms } from "../alarms";
import type { JoinTicket } from "../join-ticket";
import { parseCountReading } from "../shards/count-reading";
import type { JoinKeys } from "../shards/member-keys";
import { kindOf, WATCH_KEY } from "../shards/member-keys";
import { DIRECTORY_SHARD, type RoomStub } from "../shards/names";
import type { Shard } from "../shards/shard";
import { isRecord } from "../validate";
import { PresenceAnnouncer } from "./announce";
import { type ObjectPresence, parseObjectPresence, presenceOf } from "./census";
import { type PresenceBatch, type PresenceBody, parseSnapshot, type Snapshot } from "./frames";
import { PresenceTracker } from "./tracker";
import { PresenceWatchers } from "./watchers";

/** What one object answers the directory: its full count reading and who it holds. */
export interface PresenceHere {
  readonly reading: unknown;
  readonly presence: ObjectPresence;
}

export const PRESENCE_UNAVAILABLE = "could not read the room's presence; rejoin";

export class RoomPresence {
  readonly watchers: PresenceWatchers;
  private built: { tracker: PresenceTracker; announcer: PresenceAnnouncer } | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly shard: () => Shard,
    private readonly stub: (index: number) => RoomStub,
    private readonly alarms: Alarms,
  ) {
    this.watchers = new PresenceWatchers(ctx, WATCH_KEY);
    alarms.on("presence", () => this.tracker?.check());
  }

  /** A member let in on this object; `fromDirectory`: the snapshot its admission carried (not on shard 0). */
  accepted(socket: WebSocket, ticket: JoinTicket, fromDirectory: unknown): void {
    if (ticket.watch) this.watchers.hold(socket, ticket.batched);
    const tracker = this.tracker;
    if (tracker !== null) {
      tracker.max = ticket.presenceMax;
      const work = tracker
        .changed(ticket.keys.keys, ticket.keys.info ?? null)
        .then(async () => (ticket.watch ? this.watchers.snapshot(socket, await tracker.snapshot()) : undefined))
        .catch((error: unknown) => this.unavailable(socket, error));
      this.ctx.waitUntil(work);
      return;
    }
    if (!ticket.watch) return;
    const snapshot = parseSnapshot(fromDirectory);
    if (snapshot === null) this.unavailable(socket, new TypeError("the admission carried no presence snapshot"));
    else this.watchers.snapshot(socket, snapshot);
  }

  /** Shard 0: a join let into shard `index`; a watcher's admission carries its snapshot. */
  async admitted(join: JoinKeys, max: number | undefined): Promise<Snapshot | undefined> {
    const tracker = this.tracker;
    if (tracker === null) return undefined;
    if (max !== undefined) tracker.max = max;
    await tracker.changed(join.keys, join.info ?? null);
    return join.keys.includes(WATCH_KEY) ? tracker.snapshot() : undefined;
  }

  /** Shard 0: keys whose counts another shard reported. */
  reported(keys: readonly string[]): void {
    const work = this.tracker?.changed(keys);
    if (work !== undefined) this.ctx.waitUntil(work);
  }

  /** Members of this object left. */
  left(sockets: readonly WebSocket[]): void {
    for (const socket of sockets) this.watchers.forget(socket);
    const tracker = this.tracker;
    if (tracker === null || sockets.length === 0) return;
    const keys = new Set<string>();
    for (const socket of sockets) for (const tag of this.tagsOf(socket)) if (kindOf(tag) !== null) keys.add(tag);
    this.ctx.waitUntil(tracker.changed([...keys]));
  }

  /** Items from the directory for this object's watchers. */
  received(batch: PresenceBatch): void {
    this.watchers.received(batch);
  }

  /** Any object: its full count reading and who it holds, for the directory. */
  here(): PresenceHere {
    return { reading: this.shard().census(true), presence: presenceOf(this.ctx.getWebSockets()) };
  }

  /** Shard 0: `GET /rooms/:name/presence`, gathered from every object's sockets now. */
  async gather(max: number): Promise<PresenceBody> {
    const directory = this.shard().directory;
    if (directory === null) throw new Error("only shard 0 of a room keeps its directory");
    const others = directory.list.shards.filter((index) => index !== 0);
    const answers = await Promise.all(
      others.map(async (index) => {
        const answer: unknown = await this.stub(index).presenceHere();
        const presence = isRecord(answer) ? parseObjectPresence(answer.presence) : null;
        if (presence === null) throw new TypeError(`shard ${index}'s presence is not one`);
        return presence;
      }),
    );
    let connections = 0;
    const users = new Map<string, { info: MemberInfo | null; connections: number }>();
    for (const object of [presenceOf(this.ctx.getWebSockets()), ...answers]) {
      connections += object.connections;
      for (const [id, info, count] of object.users) {
        const user = users.get(id);
        if (user === undefined) users.set(id, { info, connections: count });
        else user.connections += count;
      }
    }
    const members = [...users].slice(0, max).map(([id, user]) => ({ id, ...user }));
    return { connections, users: users.size, members, truncated: users.size > max };
  }

  /** The tracker, on shard 0 only; built on first use after a wake. */
  private get tracker(): PresenceTracker | null {
    if (this.built !== null) return this.built.tracker;
    const shard = this.shard();
    const directory = shard.directory;
    if (directory === null) return null;
    let announcer: PresenceAnnouncer | null = null;
    const tracker = new PresenceTracker({
      kv: this.ctx.storage.kv,
      local: shard.keys,
      localPresence: () => presenceOf(this.ctx.getWebSockets()),
      counts: directory.keyCounts,
      others: () => directory.list.shards.filter((index) => index !== 0),
      ask: (index) => this.ask(index),
      // The directory's own watchers wait their turn like every other object's (./announce.ts).
      send: (index, item) => announcer?.send(index, item),
      wakeAt: (at) => {
        announcer?.retryStale();
        this.ctx.waitUntil(this.alarms.schedule("presence", at));
      },
      now: () => Date.now(),
    });
    announcer = new PresenceAnnouncer(
      tracker.life,
      async (index, batch) =>
        index === DIRECTORY_SHARD ? this.watchers.received(batch) : this.stub(index).presenceItems(batch),
      () => tracker.freshItem(),
      (work) => this.ctx.waitUntil(work),
    );
    this.built = { tracker, announcer };
    return tracker;
  }

  private async ask(index: number): Promise<ObjectPresence | null> {
    try {
      const answer: unknown = await this.stub(index).presenceHere();
      const reading = isRecord(answer) ? parseCountReading(answer.reading) : null;
      const presence = isRecord(answer) ? parseObjectPresence(answer.presence) : null;
      if (reading === null || presence === null) throw new TypeError(`shard ${index}'s presence is not one`);
      this.shard().directory?.keyCounts.heard(index, reading, Date.now());
      return presence;
    } catch (error) {
      logError("room_presence_census_failed", error, { room: this.shard().address.room, to: index });
      return null;
    }
  }

  private unavailable(socket: WebSocket, error: unknown): void {
    logError("room_presence_failed", error, { room: this.shard().address.room });
    try {
      socket.close(CLOSE_INTERNAL_ERROR, PRESENCE_UNAVAILABLE);
    } catch {
      // already gone
    }
  }

  private tagsOf(socket: WebSocket): string[] {
    try {
      return this.ctx.getTags(socket);
    } catch {
      return [];
    }
  }
}
