/**
 * A shard's count as the directory hears it: in a report, an admission or the
 * answer to a census. Reports and admissions arrive in the order the shard sent
 * them (one stub, E-order); a census answer may overtake them. Each reading is
 * stamped by its shard's incarnation (the object's life in memory) and a sequence
 * number, so an older reading never overwrites a newer one.
 */
import { isIntegerIn, isRecord } from "../validate";
import { type KeyCount, parseKeyCounts } from "./member-keys";

export interface CountReading {
  /** Members and places held for joins being admitted. */
  readonly occupancy: number;
  /** Random per life of the shard's object in memory. */
  readonly incarnation: string;
  /** Grows with every reading the shard gives in that life. */
  readonly seq: number;
  /** Key counts (./member-keys.ts): those that changed since the last reading, a join's, or all (`full`). */
  readonly keys?: readonly KeyCount[];
  readonly full?: boolean;
}

/** The shard's side: stamps its readings. */
export class CountStamps {
  private readonly incarnation = crypto.randomUUID();
  private seq = 0;

  reading(occupancy: number, keys: readonly KeyCount[] = [], full = false): CountReading {
    return { occupancy, incarnation: this.incarnation, seq: ++this.seq, keys, full };
  }
}

/** The directory's side: the newest reading heard from each shard, and when (in memory only). */
export class CountReadings {
  private readonly last = new Map<number, { incarnation: string; seq: number; at: number }>();

  /** Records a reading; false when a newer one from the same life was heard already. */
  heard(index: number, reading: CountReading, now: number): boolean {
    const last = this.last.get(index);
    if (last !== undefined && last.incarnation === reading.incarnation && last.seq >= reading.seq) return false;
    this.last.set(index, { incarnation: reading.incarnation, seq: reading.seq, at: now });
    return true;
  }

  /** True when nothing was heard from shard `index` since `time` (after a wake, nothing was). */
  olderThan(index: number, time: number): boolean {
    return (this.last.get(index)?.at ?? Number.NEGATIVE_INFINITY) < time;
  }
}

/** A count reading from a call, or null when it is not one. */
export function parseCountReading(value: unknown): CountReading | null {
  if (!isRecord(value)) return null;
  const { occupancy, incarnation, seq } = value;
  if (!isIntegerIn(occupancy, 0, Number.MAX_SAFE_INTEGER) || !isIntegerIn(seq, 1, Number.MAX_SAFE_INTEGER)) return null;
  if (typeof incarnation !== "string" || incarnation.length === 0 || incarnation.length > 64) return null;
  const keys = value.keys === undefined ? [] : parseKeyCounts(value.keys);
  if (keys === null || (value.full !== undefined && typeof value.full !== "boolean")) return null;
  return { occupancy, incarnation, seq, keys, full: value.full === true };
}
