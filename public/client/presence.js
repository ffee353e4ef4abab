// @ts-check
/**
 * Presence frames (docs/presence.md), read and checked (never trusted): the snapshot after
 * `joined` (`presence`), a user's `join` and `leave`, several of those together
 * (`presence_batch`, asked for by `?presence=batch`); and the map a client keeps of them:
 * id → { info, connections }. A snapshot replaces the map (after a resume, too), so nobody
 * is left stale. Pure, no DOM.
 */
import { MemberJoinEvent, MemberLeaveEvent, PresenceEvent } from "./events.js";

/** @typedef {{ readonly [key: string]: unknown }} MemberInfo what a private room's token says of a member (`info`) */
/** @typedef {{ info: MemberInfo | null, connections: number }} PresenceEntry one user: its info and connections */
/** @typedef {{ id: string, info: MemberInfo | null, connections: number }} PresenceMember a user in a snapshot */
/**
 * @typedef {{ kind: "presence", users: number, members: PresenceMember[], truncated: boolean }
 *   | { kind: "join", id: string, info: MemberInfo | null } | { kind: "leave", id: string }} PresenceFrame
 */
/** @typedef {PresenceFrame | { kind: "batch", events: PresenceFrame[] }} PresenceFrames one frame: one of those, or several joins and leaves */

/** A parsed text frame as a presence frame, or null when it is none. @param {unknown} value @returns {PresenceFrames | null} */
export function readPresence(value) {
  if (!isRecord(value)) return null;
  if (value.type === "presence_batch") {
    if (!Array.isArray(value.events)) return null;
    /** @type {PresenceFrame[]} */
    const events = [];
    for (const entry of value.events) {
      const event = readChange(entry);
      if (event === null) return null;
      events.push(event);
    }
    return { kind: "batch", events };
  }
  return value.type === "presence" ? readSnapshot(value) : readChange(value);
}

/** @param {{ readonly [key: string]: unknown }} value @returns {PresenceFrame | null} */
function readSnapshot(value) {
  const { users, truncated, members } = value;
  if (!isCount(users) || typeof truncated !== "boolean" || !Array.isArray(members)) return null;
  /** @type {PresenceMember[]} */
  const list = [];
  for (const entry of members) {
    const member = readMember(entry);
    if (member === null || !isRecord(entry) || !isCount(entry.connections)) return null;
    list.push({ ...member, connections: entry.connections });
  }
  return { kind: "presence", users, members: list, truncated };
}

/** A `join` or `leave`. @param {unknown} value @returns {PresenceFrame | null} */
function readChange(value) {
  if (!isRecord(value)) return null;
  const member = readMember(value.member);
  if (member === null) return null;
  if (value.type === "join") return { kind: "join", id: member.id, info: member.info };
  return value.type === "leave" ? { kind: "leave", id: member.id } : null;
}

/** Who is here, as the frames told it. */
export class PresenceMap {
  /** @type {Map<string, PresenceEntry>} */
  members = new Map();
  /** Users in the room (exact even when truncated). */
  users = 0;
  /** The last snapshot said the list is a part: no join or leave follows until a fresh one. */
  truncated = false;

  /**
   * Applies a frame; returns the event it makes. A user that joined since the snapshot counts 1 connection.
   * @param {PresenceFrame} frame @returns {PresenceEvent | MemberJoinEvent | MemberLeaveEvent}
   */
  apply(frame) {
    if (frame.kind === "presence") {
      this.members = new Map(frame.members.map(({ id, info, connections }) => [id, { info, connections }]));
      this.users = frame.users;
      this.truncated = frame.truncated;
      return new PresenceEvent(this.members, this.users, this.truncated);
    }
    if (frame.kind === "join") {
      if (!this.members.has(frame.id)) this.users++;
      this.members.set(frame.id, { info: frame.info, connections: 1 });
      return new MemberJoinEvent(frame.id, frame.info);
    }
    if (this.members.delete(frame.id)) this.users--;
    return new MemberLeaveEvent(frame.id);
  }
}

/** @param {unknown} value @returns {{ id: string, info: MemberInfo | null } | null} */
function readMember(value) {
  if (!isRecord(value) || typeof value.id !== "string" || value.id === "") return null;
  const { info } = value;
  if (info !== null && info !== undefined && !isRecord(info)) return null;
  return { id: value.id, info: info ?? null };
}

/** @param {unknown} value @returns {value is number} */
function isCount(value) {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
