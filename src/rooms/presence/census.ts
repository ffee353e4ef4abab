/**
 * Who one room object holds, read from its open sockets on demand: each socket's
 * attachment names its identity and info. Nothing is kept for it, so a room where
 * nobody asks for presence pays nothing; `GET /rooms/:name/presence` and the
 * directory's presence gather these from every object.
 */
import { type MemberInfo, parseInfo } from "../access/info";
import { identityOf, parseMember } from "../member";
import { isIntegerIn, isRecord } from "../validate";

/** One user on one object: identity, info, connections there. */
export type UserCount = readonly [id: string, info: MemberInfo | null, connections: number];

export interface ObjectPresence {
  /** Open member sockets, those without an identity included. */
  readonly connections: number;
  readonly users: readonly UserCount[];
}

/** Who the open sockets among `sockets` are. */
export function presenceOf(sockets: readonly WebSocket[]): ObjectPresence {
  let connections = 0;
  const users = new Map<string, { info: MemberInfo | null; connections: number }>();
  for (const socket of sockets) {
    if (socket.readyState !== WebSocket.OPEN) continue;
    connections++;
    const member = parseMember(socket.deserializeAttachment());
    const id = member === null ? null : identityOf(member);
    if (member === null || id === null) continue;
    const user = users.get(id);
    if (user === undefined) users.set(id, { info: member.info, connections: 1 });
    else user.connections++;
  }
  return { connections, users: [...users].map(([id, { info, connections: count }]) => [id, info, count] as const) };
}

/** An object's presence from a call, or null when it is not one. */
export function parseObjectPresence(value: unknown): ObjectPresence | null {
  if (!isRecord(value) || !isIntegerIn(value.connections, 0, Number.MAX_SAFE_INTEGER)) return null;
  if (!Array.isArray(value.users)) return null;
  const users: UserCount[] = [];
  for (const entry of value.users) {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [id, rawInfo, count] = entry;
    const info = rawInfo === null ? null : parseInfo(rawInfo);
    if (typeof id !== "string" || id.length === 0 || id.length > 128) return null;
    if ((rawInfo !== null && info === null) || !isIntegerIn(count, 1, Number.MAX_SAFE_INTEGER)) return null;
    users.push([id, info, count]);
  }
  return { connections: value.connections, users };
}
