/**
 * What presence says, on the wire and between a room's objects: the snapshot a
 * watcher gets after `joined` (and again when the list was truncated or is whole
 * again), a user's join and leave (several together for a batched watcher), the body
 * of `GET /rooms/:name/presence`, and the items the directory sends the shards with
 * watchers. Checked where they arrive untyped.
 */
import { type MemberInfo, parseInfo } from "../access/info";
import { isIntegerIn, isRecord } from "../validate";

/** A user in a snapshot: its identity, its info (null: none), its connections over the room. */
export interface PresenceMember {
  readonly id: string;
  readonly info: MemberInfo | null;
  readonly connections: number;
}

/** The snapshot frame: every user (up to ROOM_PRESENCE_MAX), the watcher itself included. */
export interface PresenceFrame {
  readonly type: "presence";
  readonly users: number;
  readonly members: readonly PresenceMember[];
  /** Past ROOM_PRESENCE_MAX users: `members` is a part, `users` stays exact, and no join or leave follows until a fresh snapshot. */
  readonly truncated: boolean;
}

/** A user's first connection arrived. */
export interface JoinFrame {
  readonly type: "join";
  readonly member: { readonly id: string; readonly info: MemberInfo | null };
}

/** A user's last connection went. */
export interface LeaveFrame {
  readonly type: "leave";
  readonly member: { readonly id: string };
}

/**
 * For a member that joined with `?presence=batch`: the joins and leaves that reached its
 * object together, in order, each as its own frame would be. One alone comes as that frame.
 */
export interface BatchFrame {
  readonly type: "presence_batch";
  readonly events: readonly (JoinFrame | LeaveFrame)[];
}

export function batchFrame(events: readonly (JoinFrame | LeaveFrame)[]): BatchFrame {
  return { type: "presence_batch", events };
}

/** `GET /rooms/:name/presence`. */
export interface PresenceBody {
  /** Sockets over the room, members without an identity included. */
  readonly connections: number;
  readonly users: number;
  readonly members: readonly PresenceMember[];
  readonly truncated: boolean;
}

/** What the directory tells shards with watchers, numbered within its life (`life`). */
export interface PresenceItem {
  readonly seq: number;
  readonly frame: JoinFrame | LeaveFrame | PresenceFrame;
}

export interface PresenceBatch {
  /** The directory's life in memory: numbers from another life are not comparable. */
  readonly life: string;
  readonly items: readonly PresenceItem[];
}

/** The most users one snapshot or batch may carry: ROOM_PRESENCE_MAX's bound, with room for events. */
const MAX_ITEMS = 100_000;
const MAX_ID_LENGTH = 128;

/** A batch from the directory, or null when it is not one. */
export function parsePresenceBatch(value: unknown): PresenceBatch | null {
  if (!isRecord(value) || typeof value.life !== "string" || value.life.length > 64) return null;
  if (!Array.isArray(value.items) || value.items.length > MAX_ITEMS) return null;
  const items: PresenceItem[] = [];
  for (const item of value.items) {
    if (!isRecord(item) || !isIntegerIn(item.seq, 0, Number.MAX_SAFE_INTEGER)) return null;
    const frame = parsePresenceFrame(item.frame);
    if (frame === null) return null;
    items.push({ seq: item.seq, frame });
  }
  return { life: value.life, items };
}

/** A snapshot for one new watcher: its `presence` frame as JSON text, and the number of the last item it covers. */
export interface Snapshot {
  readonly life: string;
  readonly seq: number;
  readonly text: string;
}

/** A snapshot's text: `ROOM_PRESENCE_MAX`'s bound of users, each with its id and at most 1 KiB of info. */
const MAX_SNAPSHOT_TEXT = 16 * 1024 * 1024;
const SNAPSHOT_START = '{"type":"presence",';

/**
 * A snapshot in an admission, or null when it is not one. The room's own directory made
 * its text (./view.ts) for the watcher as it is: it is checked for what it is, not re-read.
 */
export function parseSnapshot(value: unknown): Snapshot | null {
  if (!isRecord(value) || typeof value.life !== "string" || !isIntegerIn(value.seq, 0, Number.MAX_SAFE_INTEGER))
    return null;
  const { text } = value;
  if (typeof text !== "string" || text.length > MAX_SNAPSHOT_TEXT || !text.startsWith(SNAPSHOT_START)) return null;
  return { life: value.life, seq: value.seq, text };
}

function parsePresenceFrame(value: unknown): JoinFrame | LeaveFrame | PresenceFrame | null {
  if (!isRecord(value)) return null;
  if (value.type === "presence") {
    const { users, truncated } = value;
    if (!isIntegerIn(users, 0, Number.MAX_SAFE_INTEGER) || typeof truncated !== "boolean") return null;
    if (!Array.isArray(value.members) || value.members.length > MAX_ITEMS) return null;
    const members: PresenceMember[] = [];
    for (const entry of value.members) {
      const member = parseMember(entry);
      const connections = isRecord(entry) ? entry.connections : undefined;
      if (member === null || !isIntegerIn(connections, 1, Number.MAX_SAFE_INTEGER)) return null;
      members.push({ ...member, connections });
    }
    return { type: "presence", users, members, truncated };
  }
  const member = isRecord(value.member) ? parseMember(value.member) : null;
  if (member === null) return null;
  if (value.type === "join") return { type: "join", member };
  return value.type === "leave" ? { type: "leave", member: { id: member.id } } : null;
}

function parseMember(value: unknown): { id: string; info: MemberInfo | null } | null {
  if (!isRecord(value) || !isId(value.id)) return null;
  const info = value.info === undefined || value.info === null ? null : parseInfo(value.info);
  if (info === null && value.info !== undefined && value.info !== null) return null;
  return { id: value.id, info };
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ID_LENGTH;
}
