/**
 * The users the directory's tracker has announced as present, with their info and
 * connections over the room, and the snapshot of them a new watcher gets. In a burst of
 * joins every joiner that watches gets a snapshot of everyone before it, so the snapshot
 * is made as JSON text from each user's own text, kept until the user changes: no
 * objects per user per snapshot, and nothing for the receiving object to re-read.
 */
import type { MemberInfo } from "../access/info";
import type { PresenceFrame } from "./frames";

interface User {
  readonly info: MemberInfo | null;
  readonly connections: number;
  /** This user as the snapshot lists it, made when first needed. */
  json?: string;
}

export class PresenceView {
  private readonly users = new Map<string, User>();
  /** The last snapshot's text and the limit it was made under; null once anyone changed. */
  private text: { max: number; text: string } | null = null;

  get size(): number {
    return this.users.size;
  }

  ids(): IterableIterator<string> {
    return this.users.keys();
  }

  connections(id: string): number | undefined {
    return this.users.get(id)?.connections;
  }

  /** User `id` is present with `connections` (its info as it joined with). */
  set(id: string, info: MemberInfo | null, connections: number): void {
    this.users.set(id, { info, connections });
    this.text = null;
  }

  /** User `id`'s connections changed; it stays. */
  reconnected(id: string, connections: number): void {
    const user = this.users.get(id);
    if (user === undefined || user.connections === connections) return;
    this.users.set(id, { info: user.info, connections });
    this.text = null;
  }

  delete(id: string): void {
    if (this.users.delete(id)) this.text = null;
  }

  /** The snapshot frame listing at most `max` users. */
  frame(max: number): PresenceFrame {
    const members = [...this.users].slice(0, max).map(([id, { info, connections }]) => ({ id, info, connections }));
    return { type: "presence", users: this.users.size, members, truncated: this.users.size > max };
  }

  /** `JSON.stringify(this.frame(max))`, made from each user's text. */
  json(max: number): string {
    if (this.text?.max === max) return this.text.text;
    const members: string[] = [];
    for (const [id, user] of this.users) {
      if (members.length >= max) break;
      user.json ??= JSON.stringify({ id, info: user.info, connections: user.connections });
      members.push(user.json);
    }
    const text = `{"type":"presence","users":${this.users.size},"members":[${members.join(",")}],"truncated":${this.users.size > max}}`;
    this.text = { max, text };
    return text;
  }
}
