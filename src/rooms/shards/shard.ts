/**
 * What one room object is within its room: which shard, its links to the others,
 * and its tie to the directory (shard 0 keeps the directory itself). Rebuilt on
 * first use after every wake, from the object's name and its storage.
 */
import { logError, logEvent } from "../../log";
import { AlarmRetry, type Alarms } from "../alarms";
import type { HistoryQuery, HistoryRead, HistorySources } from "../history/sources";
import { type CountReading, CountStamps } from "./count-reading";
import { CountReporter } from "./count-report";
import { Directory } from "./directory";
import { type Admission, parseAdmission } from "./directory-answers";
import { DirectoryLine } from "./directory-line";
import { historyReads } from "./history-reads";
import { type JoinKeys, kindOf } from "./member-keys";
import {
  DIRECTORY_SHARD,
  incarnationOf,
  parseShardName,
  type RoomStub,
  type Rooms,
  type ShardAddress,
  type ShardList,
  SINGLE_SHARD,
  shardStub,
} from "./names";
import { Relay } from "./relay";
import { ShardKeys } from "./shard-keys";
import { StoredList } from "./stored-list";

export { SHARDS_KEY } from "./stored-list";

export class Shard {
  readonly address: ShardAddress;
  readonly relay: Relay;
  /** Shard 0 only. */
  readonly directory: Directory | null;
  /** Every shard but 0: keeps the directory's count of this shard's members current. */
  readonly reporter: CountReporter | null;
  private readonly toDirectory: DirectoryLine["call"];
  /** Joins this shard holds a place for while the directory admits them. */
  private reserved = 0;
  private readonly stamps = new CountStamps();
  /** Its members per user and per address. */
  readonly keys: ShardKeys;
  /** Every shard but 0: its copy of the room's shard list. */
  private readonly stored: StoredList;
  private readonly reportRetry: AlarmRetry;
  private readonly linkRetry: AlarmRetry;

  /** @param members this shard's open member sockets */
  constructor(
    ctx: DurableObjectState,
    private readonly rooms: Rooms,
    private readonly members: () => number,
    alarms: Alarms,
  ) {
    const name = ctx.id.name ?? ctx.id.toString();
    const address = parseShardName(name);
    if (address === null) throw new Error(`${name} is not the name of a room shard`);
    this.address = address;
    const kv = ctx.storage.kv;
    this.stored = new StoredList(kv);
    const line = new DirectoryLine(() => this.stub(DIRECTORY_SHARD));
    this.toDirectory = (call) => line.call(call);
    this.keys = new ShardKeys(ctx, (tag) => kindOf(tag) !== null);
    this.linkRetry = new AlarmRetry(alarms, "links");
    this.reportRetry = new AlarmRetry(alarms, "count");
    this.relay = new Relay(
      address,
      (index) => this.stub(index),
      kv,
      () => void this.linkRetry.later(),
    );
    alarms.on("links", () => this.retryLinks());
    if (address.index === DIRECTORY_SHARD) {
      const announceRetry = new AlarmRetry(alarms, "announce");
      this.directory = new Directory(address.room, {
        store: kv,
        announce: (index, list) => this.stub(index).setShards(list),
        census: (index, keys) => this.stub(index).census(keys),
        localKeys: (key) => this.keys.count(key),
        onChange: (list) => this.relay.follow(list),
        background: (work) => ctx.waitUntil(work),
        retryLater: () => void announceRetry.later(),
        forgetLater: (at) => ctx.waitUntil(alarms.schedule("retired", at)),
        now: () => Date.now(),
      });
      alarms.on("announce", () => this.directory?.retryAnnouncements());
      alarms.on("retired", () => this.directory?.forgetRetired(members()));
      this.reporter = null;
      this.relay.follow(this.directory.list);
    } else {
      this.directory = null;
      this.reporter = new CountReporter(
        (count) => this.report(count),
        () => this.occupancy(),
      );
      alarms.on("count", () => this.reporter?.changed());
      this.relay.follow(this.stored.list ?? SINGLE_SHARD);
    }
  }

  /** Keeps `list` (in storage, for after a wake) and relays by it, unless this shard has a newer one. */
  follow(list: ShardList): void {
    if (this.directory !== null) return; // the directory's own list is the source
    if (this.stored.keep(list)) this.relay.follow(list);
  }

  /**
   * Whether a relayed batch meant for incarnation `incarnation` of this shard is for
   * its members: not when it was meant for an earlier life of this shard, one that
   * left the room and whose members are gone.
   */
  current(incarnation: number): boolean {
    const list = this.stored.list;
    const mine = list === null ? null : incarnationOf(list, this.address.index);
    return mine === null || incarnation >= mine;
  }

  /** Members and places held for joins being admitted: what this shard reports to the directory. */
  occupancy(): number {
    return this.members() + this.reserved;
  }

  /** This shard's count now, stamped, for the directory's census; with every key's count if `keys`. */
  census(keys: boolean): CountReading {
    return keys ? this.stamps.reading(this.occupancy(), this.keys.all(), true) : this.stamps.reading(this.occupancy());
  }

  /**
   * Holds a place while the directory checks the room's total, which joins on every
   * shard pass one at a time, so racing joins never overfill. Admitted, the shard
   * relays by the list it is given. Never rejects: no answer is "busy". The caller
   * must `release()` the place once the member is in (or refused), in the same turn,
   * so the member is never left uncounted.
   */
  async admit(maxConnections: number, join: JoinKeys, presenceMax?: number): Promise<Admission> {
    const { room, index } = this.address;
    this.reserved++;
    this.keys.reserve(join.keys);
    try {
      const reading = this.stamps.reading(this.occupancy(), this.keys.counts(join.keys));
      const answer = await this.toDirectory((directory) =>
        directory.admit(index, reading, maxConnections, join, presenceMax),
      );
      const admission = parseAdmission(answer);
      if (admission === null) throw new TypeError("the directory's answer is not an admission");
      if (admission.kind === "admitted") this.follow(admission.list);
      if (admission.kind === "busy") logEvent("room_join_busy", { room, shard: index, reason: admission.reason });
      return admission;
    } catch (error) {
      logError("room_admit_failed", error, { room, shard: index });
      return { kind: "busy", reason: "no answer from the directory" };
    }
  }

  /** Gives back the place `admit` held; a join refused after all changed its keys' counts back. */
  release(join: JoinKeys, admitted: boolean): void {
    this.reserved--;
    this.keys.release(join.keys);
    if (!admitted) this.left([], join.keys);
  }

  /** Members with these sockets or keys left: the next count report carries their keys (the directory counts its own live). */
  left(sockets: readonly WebSocket[], keys: readonly string[] = []): void {
    if (this.reporter !== null) this.keys.left(sockets, keys);
  }

  /**
   * Where a catch-up reads the room's history: the origins from the directory (here,
   * or by a call to shard 0), each origin's messages from its object (`local` for this one).
   */
  historySources(local: (query: HistoryQuery) => HistoryRead): HistorySources {
    const { directory } = this;
    return historyReads(
      this.address.index,
      local,
      (index) => this.stub(index),
      () => (directory !== null ? directory.origins() : this.toDirectory((stub) => stub.historyOrigins())),
    );
  }

  /** A count the directory did not get is sent again from the alarm, with backoff, until it does. */
  private async report(count: number): Promise<void> {
    const keys = this.keys.takeChanged();
    try {
      await this.toDirectory((directory) => directory.report(this.address.index, this.stamps.reading(count, keys)));
      this.reportRetry.succeeded();
      // Out of the room with nothing owed: the shard keeps nothing in storage.
      if (count === 0 && this.occupancy() === 0 && !this.relay.owes) this.stored.forget();
    } catch (error) {
      this.keys.restore(keys);
      logError("room_report_failed", error, { room: this.address.room, shard: this.address.index, count });
      await this.reportRetry.later();
    }
  }

  private async retryLinks(): Promise<void> {
    if (await this.relay.retry()) await this.linkRetry.later();
    else this.linkRetry.succeeded();
  }

  private stub(index: number): RoomStub {
    return shardStub(this.rooms, this.address.room, index);
  }
}
