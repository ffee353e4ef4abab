/**
 * The directory's counts checked against the shards' live sockets: a count older than a
 * decision can trust (a refusal "room full", a `GET`, a cap) is asked for again, so counts
 * follow the sockets after any object restarted. A shard that does not answer keeps its count.
 */
import { logError } from "../../log";
import { type CountReading, type CountReadings, parseCountReading } from "./count-reading";
import { DIRECTORY_SHARD } from "./names";

/** What the census reaches beyond itself. */
export interface CensusPorts {
  /** Shard `index`'s count as it is now (a `CountReading`, unchecked), with all its keys if `keys`. */
  readonly call: (index: number, keys: boolean) => Promise<unknown>;
  /** When each shard's count was last heard. */
  readonly readings: CountReadings;
  /** The shards with members, the directory not counted. */
  readonly shards: () => number[];
  /** A reading that arrived; true when the shard's count changed. */
  readonly heard: (index: number, reading: CountReading) => boolean;
  readonly now: () => number;
}

export class Census {
  constructor(
    private readonly room: string,
    private readonly ports: CensusPorts,
  ) {}

  /** Asks every shard (but `except`) whose count is older than `maxAgeMs` for its count now; true when some changed. */
  async verify(maxAgeMs: number, except?: number): Promise<boolean> {
    const since = this.ports.now() - maxAgeMs;
    const stale = this.ports
      .shards()
      .filter((index) => index !== except && this.ports.readings.olderThan(index, since));
    const changed = await Promise.all(stale.map((index) => this.ask(index)));
    return changed.some(Boolean);
  }

  /** Asks shard `index` for its count (and all its keys' if `keys`); true when it changed. */
  async ask(index: number, keys = false): Promise<boolean> {
    try {
      const reading = parseCountReading(await this.ports.call(index, keys));
      if (reading === null) throw new TypeError("the shard's answer is not a count reading");
      return this.ports.heard(index, reading);
    } catch (error) {
      logError("room_census_failed", error, { room: this.room, shard: DIRECTORY_SHARD, to: index });
      return false;
    }
  }
}
