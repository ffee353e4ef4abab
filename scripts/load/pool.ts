/**
 * Opening and closing many sockets with a bounded number of handshakes in flight,
 * so the load measures the server, not a stampede of connects.
 */
import { EchoSocket } from "./echo-socket.ts";
import type { Tally } from "./tally.ts";

/** Handshakes in flight at once: enough to open thousands in seconds, few enough not to time out on 2 cores. */
export const OPEN_CONCURRENCY = 64;

/** Runs `task` on every item with at most `limit` running at once. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Opens sockets numbered `firstId` .. `firstId + count - 1`; failures are counted in `tally` and left out. */
export async function openSockets(url: string, firstId: number, count: number, tally: Tally): Promise<EchoSocket[]> {
  const opened: EchoSocket[] = [];
  const ids = Array.from({ length: count }, (_, i) => firstId + i);
  await eachLimited(ids, OPEN_CONCURRENCY, async (id) => {
    const socket = await EchoSocket.open(url, id, tally);
    if (socket !== null) opened.push(socket);
  });
  return opened;
}

/** Closes every socket, counting what they still awaited as lost. */
export async function closeSockets(sockets: readonly EchoSocket[]): Promise<void> {
  await eachLimited(sockets, 256, (socket) => socket.close());
}
