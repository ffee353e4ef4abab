/**
 * The live messages held for members still catching up. Entries are shared with the
 * live delivery (no copy per member), but a catch-up that falls far behind must not
 * make the object keep a room's traffic for it without end: past `MAX_HELD_MESSAGES`
 * or `MAX_HELD_BYTES`, its member is closed 1013 and rejoins from its position.
 */
import { MAX_UNSENT_BYTES } from "../../protocol/backpressure";
import type { LiveEntry } from "./store";

/** Messages held for one member at most: a default window's worth. */
export const MAX_HELD_MESSAGES = 1_000;
/** Bytes held for one member at most: what one socket may have unsent. */
export const MAX_HELD_BYTES = MAX_UNSENT_BYTES;

interface Held {
  readonly entries: LiveEntry[];
  bytes: number;
}

export class HoldList {
  private readonly held = new Map<WebSocket, Held>();

  start(socket: WebSocket): void {
    this.held.set(socket, { entries: [], bytes: 0 });
  }

  has(socket: WebSocket): boolean {
    return this.held.has(socket);
  }

  get size(): number {
    return this.held.size;
  }

  /** Holds `entry` for `socket`; false (and nothing held) once that would pass a bound. */
  push(socket: WebSocket, entry: LiveEntry, size: number): boolean {
    const held = this.held.get(socket);
    if (held === undefined) return true;
    if (held.entries.length >= MAX_HELD_MESSAGES || held.bytes + size > MAX_HELD_BYTES) return false;
    held.entries.push(entry);
    held.bytes += size;
    return true;
  }

  /** What was held for `socket`, which is no longer held for. */
  take(socket: WebSocket): LiveEntry[] {
    const entries = this.held.get(socket)?.entries ?? [];
    this.held.delete(socket);
    return entries;
  }
}
