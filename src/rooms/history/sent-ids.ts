/**
 * The ids of messages sent with one (from a member with `&acks=1`, or a publish with
 * `Idempotency-Key`), kept by the object they entered the room at, beside its history:
 * (identity, id) → the message's offset. Written in the same transaction as the
 * message, kept for the history window (by time and by count) and swept with it, so a
 * resend within the window is found and never stored twice.
 */
import type { Entry } from "./store";

/** Who sent a message with an id, as the room tells senders apart: never shown to members. */
export type Identity = string;

/** A sent id and the offset its message was stored at. */
export interface SentId {
  readonly offset: number;
  readonly time: number;
}

export class SentIds {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS sent_ids (
      identity TEXT NOT NULL, id TEXT NOT NULL, offset INTEGER NOT NULL UNIQUE, time INTEGER NOT NULL,
      PRIMARY KEY (identity, id)) WITHOUT ROWID`);
  }

  /** Where (identity, id) was stored here, if it was within the window. */
  find(identity: Identity, id: string): SentId | null {
    const row = this.sql
      .exec("SELECT offset, time FROM sent_ids WHERE identity = ? AND id = ?", identity, id)
      .toArray()[0];
    return row === undefined ? null : { offset: Number(row.offset), time: Number(row.time) };
  }

  /** Records a message stored at `offset`; forgets ids whose messages the count window has passed. */
  record(identity: Identity, id: string, offset: number, time: number, windowMessages: number): void {
    this.sql.exec("INSERT INTO sent_ids (identity, id, offset, time) VALUES (?, ?, ?, ?)", identity, id, offset, time);
    if (offset > windowMessages) this.sql.exec("DELETE FROM sent_ids WHERE offset <= ?", offset - windowMessages);
  }

  /** `entries` (one origin's, in offset order) with the ids and identities they were sent with. */
  attach(entries: readonly Entry[]): Entry[] {
    const first = entries[0];
    const last = entries.at(-1);
    if (first === undefined || last === undefined) return [];
    const ids = new Map<number, { identity: string; id: string }>();
    const rows = this.sql.exec(
      "SELECT offset, identity, id FROM sent_ids WHERE offset BETWEEN ? AND ?",
      first.offset,
      last.offset,
    );
    for (const row of rows) ids.set(Number(row.offset), { identity: String(row.identity), id: String(row.id) });
    if (ids.size === 0) return [...entries];
    return entries.map((entry) => {
      const sent = ids.get(entry.offset);
      return sent === undefined ? entry : { ...entry, ...sent };
    });
  }

  /** From the sweep: ids of messages older than `cutoff` go with them. */
  sweep(cutoff: number): void {
    this.sql.exec("DELETE FROM sent_ids WHERE time < ?", cutoff);
  }
}
