/**
 * How the directory tells the other shards of a new shard list. Each shard has one
 * announcement in flight at a time, and the call carries the newest list when it
 * leaves, so however many joins race, a shard hears each list version at most once
 * (a failed call may be tried again). What each shard confirmed is the directory's
 * to keep in storage, so a wake never has to ask every shard again.
 */
import { logError } from "../../log";
import type { ShardList } from "./names";

/** Tells shard `index` the room's shard list; rejects when it cannot be reached. */
export type Announce = (index: number, list: ShardList) => Promise<unknown>;

/** What the announcer needs of the directory. */
export interface AnnouncedShards {
  /** The newest list. */
  readonly list: ShardList;
  /** The newest version shard `index` confirmed; -1 when none. */
  told(index: number): number;
  /** Shard `index` confirmed `version`. */
  confirmed(index: number, version: number): void;
}

export class Announcer {
  /** The call in flight to each shard, resolving true once the shard has the list it carries. */
  private readonly inFlight = new Map<number, Promise<boolean>>();

  constructor(
    private readonly announce: Announce,
    private readonly shards: AnnouncedShards,
    private readonly room: string,
  ) {}

  /**
   * Resolves true once shard `index` has a list of at least `version`: at once when it
   * confirmed one already, else after a call (waiting first for the one in flight,
   * which may already carry it). False when it could not be told.
   */
  tell(index: number, version: number): Promise<boolean> {
    if (this.shards.told(index) >= version) return Promise.resolve(true);
    const before = this.inFlight.get(index) ?? Promise.resolve(true);
    const call = before.then(() => this.call(index, version));
    this.inFlight.set(index, call);
    void call.finally(() => {
      if (this.inFlight.get(index) === call) this.inFlight.delete(index);
    });
    return call;
  }

  /** Tells every shard of the list but those in `except` that has not confirmed `version`; returns those that failed. */
  async tellAll(version: number, except: readonly number[] = []): Promise<number[]> {
    const targets = this.shards.list.shards.filter((index) => index !== 0 && !except.includes(index));
    const told = await Promise.all(targets.map((index) => this.tell(index, version)));
    return targets.filter((_, at) => !told[at]);
  }

  private async call(index: number, version: number): Promise<boolean> {
    if (this.shards.told(index) >= version) return true;
    const list = this.shards.list;
    // Left the room meanwhile: it has no members to relay to, and learns the list if it comes back.
    if (!list.shards.includes(index)) return true;
    try {
      await this.announce(index, list);
      this.shards.confirmed(index, list.version);
      return true;
    } catch (error) {
      logError("room_announce_failed", error, { room: this.room, shard: 0, to: index });
      return false;
    }
  }
}
