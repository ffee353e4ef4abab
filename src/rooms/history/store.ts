/**
 * One room object's history: the messages that entered the room through it (its
 * members' and, on shard 0, those published over HTTP), each written once, in this
 * object's SQLite storage, with the next offset. Written before the message is sent
 * anywhere: the runtime holds outgoing frames until the write is confirmed, so any
 * message a member has seen is in history. Kept: the last `messages`, of the last
 * `seconds`, at most `MAX_HISTORY_BYTES`; older rows are deleted as new ones come,
 * and by the object's alarm once the window has passed (so an idle room ends up
 * keeping nothing but its next offset and epoch).
 */
import type { Payload } from "../message";
import { type Body, INLINE_BYTES } from "./body";
import { type Mark, newEpoch } from "./position";
import { PART_BYTES, storedBody, streamParts, writeParts } from "./stored-bytes";

/** Bytes of messages one object keeps, whatever the window says. */
export const MAX_HISTORY_BYTES = 32 * 1024 * 1024;
/**
 * Serialized bytes one read returns at most (a value between objects is capped at 32 MiB);
 * a reader asks again from where it stopped. Counted as the worst case: text as UTF-16, and
 * `ENTRY_BYTES` for each entry's fields.
 */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;
const ENTRY_BYTES = 256;
/** Where the epoch is kept; deleted, the next store starts a new one. */
export const EPOCH_KEY = "history:epoch";
/** The last offset, kept once no row is left to say it, so offsets never go back. */
const FLOOR_KEY = "history:floor";

/** A message in history, as it entered the room. */
export interface Entry {
  readonly origin: number;
  readonly epoch: string;
  readonly offset: number;
  /** Milliseconds since the epoch, at the origin. */
  readonly time: number;
  readonly sender: string;
  /** "http" for a message published with `POST /rooms/:name`. */
  readonly via: "http" | null;
  /** The message, or (over `INLINE_BYTES`, as read) how to fetch it. */
  readonly data: Body;
  /** The id it was sent with (`&acks=1`, `Idempotency-Key`), shown in envelopes. */
  readonly id?: string;
  /** Who sent it with that id (./sent-ids.ts): for the room's own use, never shown. */
  readonly identity?: string;
}

/** An entry with its message at hand: as written, as relayed, or once fetched. */
export type LiveEntry = Entry & { readonly data: Payload };

export interface Window {
  readonly messages: number;
  readonly seconds: number;
}

/** Where an origin's history stands: the first offset still kept and the last written. */
export interface Extent {
  readonly epoch: string;
  /** The offset of the oldest message kept; `end + 1` when none is. */
  readonly first: number;
  readonly end: number;
}

export class HistoryStore {
  readonly epoch: string;
  private next: number;
  private count: number;
  private bytes: number;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly origin: number,
    private readonly window: Window,
  ) {
    const { sql, kv } = storage;
    sql.exec(`CREATE TABLE IF NOT EXISTS history (
      offset INTEGER PRIMARY KEY, time INTEGER NOT NULL, sender TEXT NOT NULL,
      via TEXT, text INTEGER NOT NULL, data BLOB NOT NULL, size INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS history_parts (
      offset INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (offset, part))`);
    const stored = kv.get(EPOCH_KEY);
    this.epoch = typeof stored === "string" ? stored : newEpoch();
    if (stored !== this.epoch) kv.put(EPOCH_KEY, this.epoch);
    const row = sql.exec("SELECT MAX(offset) AS last, COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM history").one();
    const floor = kv.get(FLOOR_KEY);
    this.next = Math.max(Number(row.last ?? 0), typeof floor === "number" ? floor : 0) + 1;
    this.count = Number(row.n);
    this.bytes = Number(row.b);
  }

  /**
   * Writes a message that enters the room here, all its parts in one transaction or
   * nothing (then it throws, and the message must not be sent); returns it as kept.
   */
  append(data: Payload, sender: string, via: "http" | null, time: number): LiveEntry {
    const offset = this.next;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
    const { sql } = this.storage;
    this.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO history (offset, time, sender, via, text, data, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
        offset,
        time,
        sender,
        via,
        typeof data === "string" ? 1 : 0,
        bytes.byteLength > PART_BYTES ? bytes.slice(0, PART_BYTES) : bytes,
        bytes.byteLength,
      );
      writeParts(sql, offset, bytes);
    });
    this.next++;
    this.count++;
    this.bytes += bytes.byteLength;
    this.trim();
    return { origin: this.origin, epoch: this.epoch, offset, time, sender, via, data };
  }

  /** The first offset kept (within the window at `now`) and the last written. */
  extent(now: number): Extent {
    const row = this.storage.sql
      .exec("SELECT MIN(offset) AS first FROM history WHERE time >= ?", this.cutoff(now))
      .one();
    const end = this.next - 1;
    return { epoch: this.epoch, first: row.first === null ? end + 1 : Number(row.first), end };
  }

  /** Messages after `offset` (oldest first), within the window, up to `limit` and `MAX_PAGE_BYTES`. */
  after(offset: number, limit: number, now: number): Entry[] {
    return this.select("offset > ?", offset, limit, now);
  }

  /** Messages newer than `time` (oldest first), within the window, up to `limit` and `MAX_PAGE_BYTES`. */
  newerThan(time: number, limit: number, now: number): Entry[] {
    return this.select("time > ?", time, limit, now);
  }

  /** The last `count` messages within the window, oldest first. */
  last(count: number, now: number): Entry[] {
    const from = this.next - 1 - Math.min(count, this.window.messages);
    return this.after(from, count, now);
  }

  /** From the alarm: deletes what the window has passed; returns when the oldest left expires, or null. */
  sweep(now: number): number | null {
    this.storage.sql.exec(
      "DELETE FROM history_parts WHERE offset IN (SELECT offset FROM history WHERE time < ?)",
      this.cutoff(now),
    );
    this.storage.sql.exec("DELETE FROM history WHERE time < ?", this.cutoff(now));
    const row = this.storage.sql
      .exec("SELECT MIN(time) AS oldest, COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM history")
      .one();
    this.count = Number(row.n);
    this.bytes = Number(row.b);
    if (this.count === 0) {
      this.storage.kv.put(FLOOR_KEY, this.next - 1);
      return null;
    }
    return Number(row.oldest) + this.window.seconds * 1000;
  }

  /** History turned off: every message is deleted; the offset and epoch stay, so offsets never go back. */
  clear(): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec("DELETE FROM history_parts");
      this.storage.sql.exec("DELETE FROM history");
      this.storage.kv.put(FLOOR_KEY, this.next - 1);
    });
    this.count = 0;
    this.bytes = 0;
  }

  /** The bytes of the message at `offset` of `epoch`, as a stream; null when it is not kept. */
  stream(epoch: string, offset: number): ReadableStream<Uint8Array> | null {
    return epoch === this.epoch ? streamParts(this.storage.sql, offset) : null;
  }

  /** Drops the oldest rows past the count or the byte bound (a row and its parts together). */
  private trim(): void {
    while (this.count > this.window.messages || (this.bytes > MAX_HISTORY_BYTES && this.count > 1)) {
      const oldest = this.storage.sql.exec("SELECT offset, size FROM history ORDER BY offset LIMIT 1").one();
      this.storage.transactionSync(() => {
        this.storage.sql.exec("DELETE FROM history WHERE offset = ?", oldest.offset);
        if (Number(oldest.size) > PART_BYTES)
          this.storage.sql.exec("DELETE FROM history_parts WHERE offset = ?", oldest.offset);
      });
      this.count--;
      this.bytes -= Number(oldest.size);
    }
  }

  private select(condition: "offset > ?" | "time > ?", value: number, limit: number, now: number): Entry[] {
    // A large message's first part is not read with the page: it is fetched when sent.
    const query = `SELECT offset, time, sender, via, text, size, CASE WHEN size <= ? THEN data END AS data
      FROM history WHERE ${condition} AND time >= ? ORDER BY offset LIMIT ?`;
    return this.page(this.storage.sql.exec(query, INLINE_BYTES, value, this.cutoff(now), limit));
  }

  private cutoff(now: number): number {
    return now - this.window.seconds * 1000;
  }

  private page(cursor: Iterable<Record<string, SqlStorageValue>>): Entry[] {
    const entries: Entry[] = [];
    let bytes = 0;
    for (const row of cursor) {
      const size = Number(row.size);
      const cost = ENTRY_BYTES + (size > INLINE_BYTES ? 0 : row.text === 1 ? 2 * size : size);
      if (entries.length > 0 && bytes + cost > MAX_PAGE_BYTES) break;
      bytes += cost;
      entries.push({
        origin: this.origin,
        epoch: this.epoch,
        offset: Number(row.offset),
        time: Number(row.time),
        sender: String(row.sender),
        via: row.via === "http" ? "http" : null,
        data: storedBody(this.storage.sql, row),
      });
    }
    return entries;
  }
}

/**
 * Where an object's history stands with no window in force (swept empty with nobody here, or
 * turned off): nothing kept, after its last offset, in its epoch; null when it never kept any.
 */
export function idleExtent(kv: DurableObjectStorage["kv"]): Extent | null {
  const epoch = kv.get(EPOCH_KEY);
  const floor = kv.get(FLOOR_KEY);
  if (typeof epoch !== "string") return null;
  const end = typeof floor === "number" ? floor : 0;
  return { epoch, first: end + 1, end };
}

/** The mark of an entry, for positions. */
export function markOf(entry: Entry): Mark {
  return { epoch: entry.epoch, offset: entry.offset };
}
