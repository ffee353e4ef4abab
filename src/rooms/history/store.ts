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
import { type Mark, newEpoch } from "./position";

/** Bytes of messages one object keeps, whatever the window says. */
export const MAX_HISTORY_BYTES = 32 * 1024 * 1024;
/**
 * A row holds at most 2 MB in a Durable Object's SQLite; a longer message is kept in
 * parts of this size in `history_parts`, and put back together when read.
 */
export const PART_BYTES = 1024 * 1024;
/** Bytes one read returns at most; a reader asks again from where it stopped. */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;
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
  readonly data: Payload;
}

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

type Row = Record<string, SqlStorageValue>;

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

  /** Writes a message that enters the room here; returns it as history keeps it. */
  append(data: Payload, sender: string, via: "http" | null, time: number): Entry {
    const offset = this.next++;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
    const { sql } = this.storage;
    // Copies, not views: a view would bind the whole buffer behind it.
    const head = bytes.byteLength > PART_BYTES ? bytes.slice(0, PART_BYTES) : bytes;
    sql.exec(
      "INSERT INTO history (offset, time, sender, via, text, data, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
      offset,
      time,
      sender,
      via,
      typeof data === "string" ? 1 : 0,
      head,
      bytes.byteLength,
    );
    for (let at = PART_BYTES, part = 1; at < bytes.byteLength; at += PART_BYTES, part++)
      sql.exec(
        "INSERT INTO history_parts (offset, part, data) VALUES (?, ?, ?)",
        offset,
        part,
        bytes.slice(at, at + PART_BYTES),
      );
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

  /** Drops the oldest rows past the count or the byte bound. */
  private trim(): void {
    while (this.count > this.window.messages || (this.bytes > MAX_HISTORY_BYTES && this.count > 1)) {
      const oldest = this.storage.sql.exec("SELECT offset, size FROM history ORDER BY offset LIMIT 1").one();
      this.storage.sql.exec("DELETE FROM history WHERE offset = ?", oldest.offset);
      if (Number(oldest.size) > PART_BYTES)
        this.storage.sql.exec("DELETE FROM history_parts WHERE offset = ?", oldest.offset);
      this.count--;
      this.bytes -= Number(oldest.size);
    }
  }

  /** A row's message, its parts put back after its first `PART_BYTES`. */
  private whole(row: Row, size: number): ArrayBuffer {
    const head = row.data instanceof ArrayBuffer ? row.data : new ArrayBuffer(0);
    if (size <= PART_BYTES) return head;
    const bytes = new Uint8Array(size);
    bytes.set(new Uint8Array(head));
    const parts = this.storage.sql.exec(
      "SELECT part, data FROM history_parts WHERE offset = ? ORDER BY part",
      row.offset,
    );
    for (const part of parts) {
      if (part.data instanceof ArrayBuffer) bytes.set(new Uint8Array(part.data), Number(part.part) * PART_BYTES);
    }
    return bytes.buffer;
  }

  private select(condition: "offset > ?" | "time > ?", value: number, limit: number, now: number): Entry[] {
    const query = `SELECT * FROM history WHERE ${condition} AND time >= ? ORDER BY offset LIMIT ?`;
    return this.page(this.storage.sql.exec(query, value, this.cutoff(now), limit));
  }

  private cutoff(now: number): number {
    return now - this.window.seconds * 1000;
  }

  private page(cursor: Iterable<Row>): Entry[] {
    const entries: Entry[] = [];
    let bytes = 0;
    for (const row of cursor) {
      const size = Number(row.size);
      if (entries.length > 0 && bytes + size > MAX_PAGE_BYTES) break;
      bytes += size;
      const data = this.whole(row, size);
      entries.push({
        origin: this.origin,
        epoch: this.epoch,
        offset: Number(row.offset),
        time: Number(row.time),
        sender: String(row.sender),
        via: row.via === "http" ? "http" : null,
        data: row.text === 1 ? new TextDecoder().decode(data) : data,
      });
    }
    return entries;
  }
}

/** The mark of an entry, for positions. */
export function markOf(entry: Entry): Mark {
  return { epoch: entry.epoch, offset: entry.offset };
}
