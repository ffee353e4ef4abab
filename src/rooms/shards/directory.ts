/**
 * The room's directory, kept by shard 0: which shards the room spans, how many
 * members each other shard holds, and which list each has confirmed. It lives in
 * Durable Object storage, so a wake changes nothing. A join into a shard waits on
 * the other shards only while some of them have not heard of that shard yet: the
 * barrier that lets no member miss a message. Counts are the shards' own readings,
 * checked again with the shards when they are old and matter (a refusal, a `GET`),
 * so they follow live sockets after any object restarts. So do the counts per user
 * and per address (./key-limits.ts).
 */
import { type Announce, Announcer } from "./announcer";
import { Census } from "./census";
import { type CountReading, CountReadings } from "./count-reading";
import type { Admission, RoomCount } from "./directory-answers";
import { DIRECTORY_KEY, type DirectoryStore, ShardTable } from "./directory-record";
import { JoinHints } from "./join-hints";
import type { KeyCounts } from "./key-counts";
import { KeyLimits } from "./key-limits";
import type { JoinKeys } from "./member-keys";
import { DIRECTORY_SHARD, type ShardList } from "./names";
import { admits, type Placement, place, roomTotal } from "./placement";

export { DIRECTORY_KEY };

/** How old a count may be in `GET /rooms/:name` before the directory asks the shard again. */
export const COUNT_TRUSTED_MS = 10_000;
/** Before a join is refused "room full", counts older than this are asked again: a restart may have emptied a shard. */
export const FULL_RECHECK_MS = 1_000;

/** What the directory reaches beyond itself. */
export interface DirectoryPorts {
  readonly store: DirectoryStore;
  readonly announce: Announce;
  /** Shard `index`'s count as it is now (a `CountReading`, unchecked), with all its keys if `keys`. */
  readonly census: (index: number, keys: boolean) => Promise<unknown>;
  /** Open sockets with `key` on the directory's own object. */
  readonly localKeys: (key: string) => number;
  /** Called with the new list whenever it changes, before the other shards hear of it. */
  readonly onChange: (list: ShardList) => void;
  /** Work that outlives the call that started it (`ctx.waitUntil`). */
  readonly background: (work: Promise<unknown>) => void;
  /** Some shard could not be told of the list: call `retryAnnouncements` again later. */
  readonly retryLater: () => void;
  /** Shards that left are remembered until `at`: call `forgetRetired` then. */
  readonly forgetLater: (at: number) => void;
  readonly now: () => number;
}

export class Directory {
  private readonly table: ShardTable;
  private readonly hints: JoinHints;
  private readonly readings = new CountReadings();
  private readonly census: Census;
  private readonly announcer: Announcer;
  private readonly limits: KeyLimits;

  constructor(
    room: string,
    private readonly ports: DirectoryPorts,
  ) {
    this.table = new ShardTable(ports.store, room, ports.now, {
      joined: (index) => this.limits.counts.joined(index),
      left: (index) => this.limits.counts.left(index),
      changed: (list) => ports.onChange(list),
    });
    this.announcer = new Announcer(ports.announce, this.table, room);
    this.hints = new JoinHints(ports.now);
    this.census = new Census(room, {
      call: ports.census,
      readings: this.readings,
      shards: () => this.table.indexes(),
      heard: (index, reading) => this.heard(index, reading),
      now: ports.now,
    });
    this.limits = new KeyLimits({
      local: ports.localKeys,
      members: () => this.counts(),
      census: (index) => this.census.ask(index, true),
      now: ports.now,
    });
  }

  /** What each other shard's readings told of its keys (presence counts its users by them). */
  get keyCounts(): KeyCounts {
    return this.limits.counts;
  }

  /** The shards the room spans: the directory, then every shard with members, ascending. */
  get list(): ShardList {
    return this.table.list;
  }

  /** Every object whose history may hold the room's messages: its shards, and those that left lately. */
  origins(): number[] {
    return this.table.origins();
  }

  /** Members in the whole room, with `local` the directory's own. */
  members(local: number): number {
    return roomTotal(local, this.counts());
  }

  /** The room's size, no count older than `COUNT_TRUSTED_MS`, with `local` the directory's own members. */
  async count(local: () => number): Promise<RoomCount> {
    await this.census.verify(COUNT_TRUSTED_MS);
    return { connections: this.members(local()), shards: this.table.size + 1 };
  }

  /** Where a join goes; a join sent to another shard is remembered until it arrives there. */
  async place(local: () => number, shardCap: number, roomCap: number, join: JoinKeys): Promise<Placement> {
    let placement = place(local(), this.loads(), shardCap, roomCap);
    if (placement.kind === "full" && (await this.census.verify(FULL_RECHECK_MS)))
      placement = place(local(), this.loads(), shardCap, roomCap);
    if (placement.kind !== "full") {
      const check = await this.limits.check(join, DIRECTORY_SHARD);
      if (check.reason !== null) return { kind: "capped", reason: check.reason };
      if (check.waited) placement = place(local(), this.loads(), shardCap, roomCap);
    }
    if (placement.kind === "shard") this.hints.sentTo(placement.index);
    return placement;
  }

  /**
   * Shard `index` asks to take a join, which would make it hold `occupancy` members.
   * Admitted, it gets the shard list once every other shard knows of it, so no shard
   * misses relaying to a member that was let in: for a shard that exists, at once.
   * Busy when some shard could not be told of a new one.
   */
  async admit(
    index: number,
    reading: CountReading,
    roomCap: number,
    local: () => number,
    join: JoinKeys,
  ): Promise<Admission> {
    this.hints.arrived(index);
    this.readings.heard(index, reading, this.ports.now());
    this.limits.counts.heard(index, reading, this.ports.now());
    const { reason } = await this.limits.check(join, index);
    if (reason !== null) {
      this.limits.counts.withdraw(index, join.keys);
      return { kind: "capped", reason };
    }
    const fits = () => admits(local(), this.counts(), index, reading.occupancy, roomCap);
    if (!fits() && (!(await this.census.verify(FULL_RECHECK_MS, index)) || !fits())) {
      if (this.table.has(index)) this.table.update(index, reading.occupancy - 1);
      return { kind: "full" };
    }
    this.table.update(index, reading.occupancy);
    const added = this.table.added(index);
    const failed = await this.announcer.tellAll(added, [index]);
    if (failed.length > 0) return { kind: "busy", reason: `shards ${failed.join(", ")} could not be told of the list` };
    const list = this.list;
    this.table.confirmed(index, list.version);
    return { kind: "admitted", list };
  }

  /** Shard `index` now holds `reading.occupancy` members; at 0 it leaves the room. Never waits on other shards. */
  report(index: number, reading: CountReading): void {
    this.heard(index, reading);
  }

  /** Tells every shard that has not confirmed the newest list; asks for a retry when some could not be told. */
  async retryAnnouncements(): Promise<void> {
    const failed = await this.announcer.tellAll(this.table.list.version);
    if (failed.length > 0) this.ports.retryLater();
  }

  /**
   * Shard 0's last member left: a room with no shard left keeps nothing in storage but the
   * shards that left lately, whose history a member may still resume from, until they are forgotten.
   */
  emptied(local: number): void {
    if (local !== 0 || this.table.size > 0) return;
    this.table.pruneRetired();
    const forgetAt = this.table.forgetAt();
    if (forgetAt === null) this.table.delete();
    else this.ports.forgetLater(forgetAt);
  }

  /** From the alarm `emptied` asked for: forgets the shards that left a day ago, and the record once it is empty. */
  forgetRetired(local: number): void {
    this.table.pruneRetired();
    this.emptied(local);
  }

  /** A reading of shard `index` (reported, or asked for); true when its count changed. */
  private heard(index: number, reading: CountReading): boolean {
    // Reports arrive in the order they were sent, but a census answer may have overtaken one: older readings are dropped.
    this.limits.counts.heard(index, reading, this.ports.now());
    if (!this.readings.heard(index, reading, this.ports.now())) return false;
    const before = this.table.count(index);
    if (this.table.update(index, reading.occupancy)) this.ports.background(this.retryAnnouncements());
    return before !== reading.occupancy;
  }

  private counts(): Map<number, number> {
    return this.table.counts();
  }

  private loads() {
    return { counts: this.counts(), pending: this.hints.pending() };
  }
}
