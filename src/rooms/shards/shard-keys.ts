/**
 * One object's connections per key (./member-keys.ts): its open sockets with the key
 * as a tag, counted live, plus the joins it holds a place for while the directory
 * admits them. The keys whose count changed since the directory last heard them ride
 * on the next count report, so a leave costs no call of its own.
 */
import type { KeyCount } from "./member-keys";

/** The part of `ctx` that knows the sockets' tags. */
export interface TaggedSockets {
  getWebSockets(tag?: string): WebSocket[];
  getTags(socket: WebSocket): string[];
}

export class ShardKeys {
  private readonly reserved = new Map<string, number>();
  private changed = new Set<string>();

  /** @param isKey which of a socket's tags are keys */
  constructor(
    private readonly sockets: TaggedSockets,
    private readonly isKey: (tag: string) => boolean,
  ) {}

  /** Open sockets with `key`, and joins with it being admitted. */
  count(key: string): number {
    let open = this.reserved.get(key) ?? 0;
    for (const socket of this.sockets.getWebSockets(key)) if (socket.readyState === WebSocket.OPEN) open++;
    return open;
  }

  /** The counts of `keys`. */
  counts(keys: readonly string[]): KeyCount[] {
    return keys.map((key) => [key, this.count(key)]);
  }

  /** Every key with a count, for a census. */
  all(): KeyCount[] {
    const counts = new Map(this.reserved);
    for (const socket of this.sockets.getWebSockets()) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      for (const tag of this.tagsOf(socket)) if (this.isKey(tag)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    return [...counts].filter(([, count]) => count > 0);
  }

  /** Holds a place for a join's keys while it is admitted. */
  reserve(keys: readonly string[]): void {
    for (const key of keys) this.reserved.set(key, (this.reserved.get(key) ?? 0) + 1);
  }

  /** Gives back the places `reserve` held (the join is in, or refused). */
  release(keys: readonly string[]): void {
    for (const key of keys) {
      const left = (this.reserved.get(key) ?? 0) - 1;
      if (left > 0) this.reserved.set(key, left);
      else this.reserved.delete(key);
    }
  }

  /** The keys of these sockets (that left), or these keys, changed: the next report carries them. */
  left(sockets: readonly WebSocket[], keys: readonly string[] = []): void {
    for (const key of keys) this.changed.add(key);
    for (const socket of sockets) for (const tag of this.tagsOf(socket)) if (this.isKey(tag)) this.changed.add(tag);
  }

  /** The counts of the keys that changed, now; they are the caller's to `restore` if the directory does not get them. */
  takeChanged(): KeyCount[] {
    const keys = [...this.changed];
    this.changed = new Set();
    return this.counts(keys);
  }

  /** Counts the directory did not get: taken again, as they are then, by the next report. */
  restore(counts: readonly KeyCount[]): void {
    for (const [key] of counts) this.changed.add(key);
  }

  private tagsOf(socket: WebSocket): string[] {
    try {
      return this.sockets.getTags(socket);
    } catch {
      return []; // not one of this object's hibernatable sockets
    }
  }
}
