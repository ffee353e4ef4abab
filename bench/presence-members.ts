/**
 * The members `npm run bench:presence` joins (./presence.ts): each join, resolved at its
 * `joined` frame or its presence snapshot, and after it the join events a watcher counts
 * (told by a frame's start, so counting costs the bench little); a room filled and timed
 * to the last join event its watchers are to get; and closing them all.
 */
import WebSocket from "ws";

export const JOIN_TIMEOUT_MS = 30_000;

export interface Member {
  readonly ws: WebSocket;
  /** When each user's join event arrived here (performance.now()); only when `timed`. */
  readonly joins: Map<string, number>;
  /** Users its snapshot listed (itself included); 0 for a member that does not watch. */
  users: number;
  /** Join events that arrived after its snapshot. */
  heard: number;
}

/** How a member joins: watching with `?presence=1`, with `?presence=batch`, or not at all. */
export type Watch = "1" | "batch" | null;

const JOIN_START = Buffer.from('{"type":"join"');
const BATCH_START = Buffer.from('{"type":"presence_batch"');

function startsWith(data: Buffer, start: Buffer): boolean {
  return data.length >= start.length && data.compare(start, 0, start.length, 0, start.length) === 0;
}

/** Join events in a text frame, told by its start; only a batch is read (the bench's own cost). */
function joinsIn(data: Buffer): number {
  if (startsWith(data, JOIN_START)) return 1;
  if (!startsWith(data, BATCH_START)) return 0;
  const { events } = JSON.parse(data.toString()) as { events: { type: string }[] };
  return events.filter((event) => event.type === "join").length;
}

/**
 * Joins and resolves once the room's first frames arrived: `joined`, and with presence its
 * snapshot. A watcher then counts the join events after them; only with `timed` does it read
 * each one, for when it arrived.
 */
export function join(url: string, watch: boolean, timed = false): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const member: Member = { ws, joins: new Map(), users: 0, heard: 0 };
    const timer = setTimeout(() => reject(new Error(`no joined frame within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
    ws.on("error", reject);
    ws.on("close", (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    const count = (data: WebSocket.RawData, binary: boolean) => {
      if (!binary && Buffer.isBuffer(data)) member.heard += joinsIn(data);
    };
    let resolved = false;
    const onMessage = (data: WebSocket.RawData, binary: boolean) => {
      if (binary) return;
      type Change = { type: string; member?: { id: string } };
      const frame = JSON.parse(data.toString()) as Change & { events?: Change[]; users?: number };
      for (const change of frame.type === "presence_batch" ? (frame.events ?? []) : [frame])
        if (change.type === "join" && change.member) {
          member.joins.set(change.member.id, performance.now());
          if (resolved) member.heard++;
        }
      if (!resolved && frame.type === (watch ? "presence" : "joined")) {
        resolved = true;
        member.users = frame.users ?? 0;
        clearTimeout(timer);
        if (!timed) {
          ws.off("message", onMessage);
          if (watch) ws.on("message", count);
        }
        resolve(member);
      }
    };
    ws.on("message", onMessage);
  });
}

/** Resolves once every watcher heard the join of each of `users` its snapshot did not list. */
async function settled(watchers: readonly Member[], users: number): Promise<void> {
  const expected = watchers.reduce((sum, watcher) => sum + users - watcher.users, 0);
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  while (watchers.reduce((sum, watcher) => sum + watcher.heard, 0) < expected) {
    if (Date.now() > deadline) throw new Error(`join events still missing after ${JOIN_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Fills `room` with `count` users and times it to the last join event every watcher (the
 * members, with `watch`, and `others`) is to hear: what presence sends counts in the rate.
 */
export async function fill(
  base: string,
  room: string,
  watch: Watch,
  count: number,
  concurrency: number,
  { timed = false, others = [] }: { timed?: boolean; others?: readonly Member[] } = {},
): Promise<{ members: Member[]; perSecond: number }> {
  const joined: Member[] = [];
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const query = `history=0&client=m${i}${watch === null ? "" : `&presence=${watch}`}`;
      joined.push(await join(`${base}/rooms/${room}?${query}`, watch !== null, timed));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await settled(watch === null ? others : [...others, ...joined], count);
  return { members: joined, perSecond: (count * 1000) / (performance.now() - start) };
}

export async function closeAll(list: Member[]): Promise<void> {
  await Promise.all(
    list.map(
      ({ ws }) =>
        new Promise<void>((resolve) => {
          ws.removeAllListeners("close");
          ws.removeAllListeners("error");
          ws.on("error", () => {});
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once("close", () => resolve());
          ws.close(1000, "bench over");
        }),
    ),
  );
}
