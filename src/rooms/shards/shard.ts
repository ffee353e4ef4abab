/**
 * What one room object is within its room: which shard, its links to the others,
 * and its tie to the directory (shard 0 keeps the directory itself). Rebuilt on
 * first use after every wake, from the object's name and its storage.
 */
import { logError, logEvent } from "../../log";
import { CountReporter } from "./count-report";
import { type Admission, Directory, parseAdmission } from "./directory";
import {
  DIRECTORY_SHARD,
  parseShardList,
  parseShardName,
  type RoomStub,
  type Rooms,
  type ShardAddress,
  type ShardList,
  SINGLE_SHARD,
  shardStub,
} from "./names";
import { Relay } from "./relay";

/** The storage key of a shard's copy of the room's shard list (shard 0 has the directory instead). */
export const SHARDS_KEY = "shards";

export class Shard {
  readonly address: ShardAddress;
  readonly relay: Relay;
  /** Shard 0 only. */
  readonly directory: Directory | null;
  /** Every shard but 0: keeps the directory's count of this shard's members current. */
  readonly reporter: CountReporter | null;
  /** One stub for all calls to the directory, so they arrive in the order they were made (E-order). */
  private directoryStub: RoomStub | null = null;
  /** Joins this shard holds a place for while the directory admits them. */
  private reserved = 0;

  /** @param members this shard's open member sockets */
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly rooms: Rooms,
    private readonly members: () => number,
  ) {
    const name = ctx.id.name ?? ctx.id.toString();
    const address = parseShardName(name);
    if (address === null) throw new Error(`${name} is not the name of a room shard`);
    this.address = address;
    const kv = ctx.storage.kv;
    this.relay = new Relay(address, (index) => this.stub(index), kv);
    if (address.index === DIRECTORY_SHARD) {
      const announce = (index: number, list: ShardList) => this.stub(index).setShards(list);
      this.directory = new Directory(kv, announce, address.room, (list) => this.relay.follow(list));
      this.reporter = null;
      this.relay.follow(this.directory.list);
    } else {
      this.directory = null;
      this.reporter = new CountReporter(
        (count) => this.report(count),
        () => this.occupancy(),
      );
      this.relay.follow(parseShardList(kv.get(SHARDS_KEY)) ?? SINGLE_SHARD);
    }
  }

  /** Keeps `list` (in storage, for after a wake) and relays by it, unless this shard has a newer one. */
  follow(list: ShardList): void {
    if (this.directory !== null) return; // the directory's own list is the source
    const kv = this.ctx.storage.kv;
    const stored = parseShardList(kv.get(SHARDS_KEY));
    if (stored !== null && stored.version >= list.version) return;
    kv.put(SHARDS_KEY, list);
    this.relay.follow(list);
  }

  /** Members and places held for joins being admitted: what this shard reports to the directory. */
  occupancy(): number {
    return this.members() + this.reserved;
  }

  /**
   * Holds a place while the directory checks the room's total, which joins on every
   * shard pass one at a time, so racing joins never overfill. Admitted, the shard
   * relays by the list it is given. Never rejects: no answer is "busy". The caller
   * must `release()` the place once the member is in (or refused), in the same turn,
   * so the member is never left uncounted.
   */
  async admit(maxConnections: number): Promise<Admission> {
    const { room, index } = this.address;
    this.reserved++;
    try {
      const answer = await this.toDirectory((directory) => directory.admit(index, this.occupancy(), maxConnections));
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

  /** Gives back the place `admit` held. */
  release(): void {
    this.reserved--;
  }

  private async report(count: number): Promise<void> {
    try {
      await this.toDirectory((directory) => directory.report(this.address.index, count));
    } catch (error) {
      logError("room_report_failed", error, { room: this.address.room, shard: this.address.index, count });
    }
  }

  /** Calls the directory; its answer is left to the caller to validate. */
  private async toDirectory(call: (directory: RoomStub) => Promise<unknown>): Promise<unknown> {
    this.directoryStub ??= this.stub(DIRECTORY_SHARD);
    try {
      return await call(this.directoryStub);
    } catch (error) {
      // A stub that threw stays broken: the next call gets a fresh one.
      this.directoryStub = null;
      throw error;
    }
  }

  private stub(index: number): RoomStub {
    return shardStub(this.rooms, this.address.room, index);
  }
}
