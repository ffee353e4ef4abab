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
import { logError } from "../../log";
import { isRecord } from "../validate";
import { type Announce, Announcer } from "./announcer";
import { type CountReading, CountReadings, parseCountReading } from "./count-reading";
import {
  DIRECTORY_KEY,
  type DirectoryRecord,
  type DirectoryStore,
  readDirectory,
  type ShardEntry,
} from "./directory-record";
import { JoinHints } from "./join-hints";
import type { KeyCounts } from "./key-counts";
import { KeyLimits } from "./key-limits";
import type { JoinKeys } from "./member-keys";
import { DIRECTORY_SHARD, parseShardList, type ShardList } from "./names";
import { admits, type Placement, place, roomTotal } from "./placement";
import { RetiredShards } from "./retired";

export { DIRECTORY_KEY };

/** How old a count may be in `GET /rooms/:name` before the directory asks the shard again. */
export const COUNT_TRUSTED_MS = 10_000;
/** Before a join is refused "room full", counts older than this are asked again: a restart may have emptied a shard. */
export const FULL_RECHECK_MS = 1_000;

/**
 * The directory's answer to a shard asking to take a join: the shard list to relay
 * by, or why not. An answer, not an exception: a refusal is no error of the call.
 */
export type Admission =
  | { readonly kind: "admitted"; readonly list: ShardList; readonly presence?: unknown }
  | { readonly kind: "full" }
  | { readonly kind: "capped"; readonly reason: string }
  | { readonly kind: "busy"; readonly reason: string };

/** The room's size, from its directory. */
export interface RoomCount {
  /** Members in the whole room. */
  readonly connections: number;
  /** Objects the room spans. */
  readonly shards: number;
}

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
  private version: number;
  private readonly shards: Map<number, ShardEntry>;
  private readonly hints: JoinHints;
  private readonly retired: RetiredShards;
  private readonly readings = new CountReadings();
  private readonly announcer: Announcer;
  private readonly limits: KeyLimits;

  constructor(
    private readonly room: string,
    private readonly ports: DirectoryPorts,
  ) {
    const record = readDirectory(ports.store, room);
    this.version = record.version;
    this.shards = new Map(record.shards.map(([index, count, added, told]) => [index, { count, added, told }]));
    this.retired = new RetiredShards(record.retired ?? []);
    this.announcer = new Announcer(ports.announce, this.announced, room);
    this.hints = new JoinHints(ports.now);
    this.limits = new KeyLimits({
      local: ports.localKeys,
      members: () => this.counts(),
      census: (index) => this.ask(index, true),
      now: ports.now,
    });
  }

  /** What each other shard's readings told of its keys (presence counts its users by them). */
  get keyCounts(): KeyCounts {
    return this.limits.counts;
  }

  /** The shards the room spans: the directory, then every shard with members, ascending. */
  get list(): ShardList {
    const indexes = [...this.shards.keys()].sort((a, b) => a - b);
    const added = indexes.map((index) => this.shards.get(index)?.added ?? 0);
    return { version: this.version, shards: [DIRECTORY_SHARD, ...indexes], added: [0, ...added] };
  }

  /** Every object whose history may hold the room's messages: its shards, and those that left lately. */
  origins(): number[] {
    this.retired.prune(this.ports.now());
    return [...new Set([DIRECTORY_SHARD, ...this.shards.keys(), ...this.retired.indexes()])].sort((a, b) => a - b);
  }

  /** Members in the whole room, with `local` the directory's own. */
  members(local: number): number {
    return roomTotal(local, this.counts());
  }

  /** The room's size, no count older than `COUNT_TRUSTED_MS`, with `local` the directory's own members. */
  async count(local: () => number): Promise<RoomCount> {
    await this.verify(COUNT_TRUSTED_MS);
    return { connections: this.members(local()), shards: this.shards.size + 1 };
  }

  /** Where a join goes; a join sent to another shard is remembered until it arrives there. */
  async place(local: () => number, shardCap: number, roomCap: number, join: JoinKeys): Promise<Placement> {
    let placement = place(local(), this.loads(), shardCap, roomCap);
    if (placement.kind === "full" && (await this.verify(FULL_RECHECK_MS)))
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
    if (!fits() && (!(await this.verify(FULL_RECHECK_MS, index)) || !fits())) {
      if (this.shards.has(index)) this.update(index, reading.occupancy - 1);
      return { kind: "full" };
    }
    this.update(index, reading.occupancy);
    const added = this.shards.get(index)?.added ?? this.version;
    const failed = await this.announcer.tellAll(added, [index]);
    if (failed.length > 0) return { kind: "busy", reason: `shards ${failed.join(", ")} could not be told of the list` };
    const list = this.list;
    this.announced.confirmed(index, list.version);
    return { kind: "admitted", list };
  }

  /** Shard `index` now holds `reading.occupancy` members; at 0 it leaves the room. Never waits on other shards. */
  report(index: number, reading: CountReading): void {
    // Reports arrive in the order they were sent; a census answer may have overtaken this one.
    this.limits.counts.heard(index, reading, this.ports.now());
    if (!this.readings.heard(index, reading, this.ports.now())) return;
    if (this.update(index, reading.occupancy)) this.ports.background(this.retryAnnouncements());
  }

  /** Tells every shard that has not confirmed the newest list; asks for a retry when some could not be told. */
  async retryAnnouncements(): Promise<void> {
    const failed = await this.announcer.tellAll(this.version);
    if (failed.length > 0) this.ports.retryLater();
  }

  /**
   * Shard 0's last member left: a room with no shard left keeps nothing in storage but the
   * shards that left lately, whose history a member may still resume from, until they are forgotten.
   */
  emptied(local: number): void {
    if (local !== 0 || this.shards.size > 0) return;
    if (this.retired.prune(this.ports.now())) this.save();
    const forgetAt = this.retired.forgetAt();
    if (forgetAt === null) this.ports.store.delete(DIRECTORY_KEY);
    else this.ports.forgetLater(forgetAt);
  }

  /** From the alarm `emptied` asked for: forgets the shards that left a day ago, and the record once it is empty. */
  forgetRetired(local: number): void {
    if (this.retired.prune(this.ports.now())) this.save();
    this.emptied(local);
  }

  /**
   * Asks every shard (but `except`) whose count is older than `maxAgeMs` for its count
   * now; true when some count changed. A shard that does not answer keeps its count.
   */
  private async verify(maxAgeMs: number, except?: number): Promise<boolean> {
    const now = this.ports.now();
    const stale = [...this.shards.keys()].filter(
      (index) => index !== except && this.readings.olderThan(index, now - maxAgeMs),
    );
    const changed = await Promise.all(stale.map((index) => this.ask(index)));
    return changed.some(Boolean);
  }

  private async ask(index: number, keys = false): Promise<boolean> {
    try {
      const reading = parseCountReading(await this.ports.census(index, keys));
      if (reading === null) throw new TypeError("the shard's answer is not a count reading");
      this.limits.counts.heard(index, reading, this.ports.now());
      if (!this.readings.heard(index, reading, this.ports.now())) return false;
      const before = this.shards.get(index)?.count;
      if (this.update(index, reading.occupancy)) this.ports.background(this.retryAnnouncements());
      return before !== reading.occupancy;
    } catch (error) {
      logError("room_census_failed", error, { room: this.room, shard: DIRECTORY_SHARD, to: index });
      return false;
    }
  }

  /** Records a count; true when the shard list changed (a shard joined or left). */
  private update(index: number, count: number): boolean {
    const entry = this.shards.get(index);
    if ((entry?.count ?? 0) === count) return false;
    const joined = entry === undefined;
    const left = count === 0;
    if (joined || left) this.version = Math.max(this.version + 1, this.ports.now());
    if (joined) this.limits.counts.joined(index);
    if (left) {
      this.limits.counts.left(index);
      this.shards.delete(index);
      this.retired.add(index, this.ports.now());
    } else this.shards.set(index, { count, added: entry?.added ?? this.version, told: entry?.told ?? -1 });
    this.save();
    if (joined || left) this.ports.onChange(this.list);
    return joined || left;
  }

  private save(): void {
    const record: DirectoryRecord = {
      version: this.version,
      shards: [...this.shards].map(([index, { count, added, told }]) => [index, count, added, told]),
      ...(this.retired.size > 0 ? { retired: this.retired.entries() } : {}),
    };
    this.ports.store.put(DIRECTORY_KEY, record);
  }

  /** What the announcer reads and records. */
  private readonly announced = {
    list: () => this.list,
    told: (index: number) => this.shards.get(index)?.told ?? -1,
    confirmed: (index: number, version: number) => {
      const entry = this.shards.get(index);
      if (entry === undefined || entry.told >= version) return;
      this.shards.set(index, { ...entry, told: version });
      this.save();
    },
  };

  private counts(): Map<number, number> {
    return new Map([...this.shards].map(([index, entry]) => [index, entry.count]));
  }

  private loads() {
    return { counts: this.counts(), pending: this.hints.pending() };
  }
}

/** The directory's answer as it reaches the shard, or null when it is not one. */
export function parseAdmission(value: unknown): Admission | null {
  if (!isRecord(value)) return null;
  if (value.kind === "full") return { kind: "full" };
  if (value.kind === "capped")
    return typeof value.reason === "string" ? { kind: "capped", reason: value.reason } : null;
  if (value.kind === "busy") return typeof value.reason === "string" ? { kind: "busy", reason: value.reason } : null;
  const list = value.kind === "admitted" ? parseShardList(value.list) : null;
  // A watcher's presence snapshot rides along, for presence to check (../presence/frames.ts).
  if (list !== null && value.presence !== undefined) return { kind: "admitted", list, presence: value.presence };
  return list === null ? null : { kind: "admitted", list };
}
