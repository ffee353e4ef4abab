/**
 * Sending a catch-up's replay to one member. A replay is a burst (up to a window of
 * messages, each up to 32 MiB), so unlike a live message it is paced rather than
 * refused: each frame waits until the socket's unsent bytes leave room for it
 * (`canQueue`, as live delivery checks), and a member that does not drain within
 * `REPLAY_DRAIN_MS` is dropped 1008 as a slow reader. A large message is fetched from
 * its origin only when its turn comes, so a catch-up holds one at a time.
 */
import { canQueue } from "../../protocol/backpressure";
import { messageBytes } from "../../protocol/frames";
import { isLarge } from "./body";
import { withDeadline } from "./deadline";
import { envelopeFrame } from "./envelope";
import type { Entry, LiveEntry } from "./store";

/** Most time a replay waits for a member's unsent bytes to drain before dropping it. */
export const REPLAY_DRAIN_MS = 10_000;
const DRAIN_POLL_MS = 20;

/** Why a replay stopped before its end. */
export type ReplayStop = "closed" | "slow";

/** The entry with its message at hand: a large one is fetched from its origin (within the read deadline). */
export async function loaded(entry: Entry): Promise<LiveEntry> {
  const { data } = entry;
  if (!isLarge(data)) return { ...entry, data };
  return { ...entry, data: await withDeadline(data.load(), `shard ${entry.origin}'s message ${entry.offset}`) };
}

/** Sends each entry's envelope in turn; null once all are sent, else why it stopped. */
export async function sendReplay(
  socket: WebSocket,
  replay: readonly { readonly entry: Entry; readonly position: string }[],
): Promise<ReplayStop | null> {
  for (const { entry, position } of replay) {
    const frame = envelopeFrame(await loaded(entry), position);
    const stop = await drained(socket, messageBytes(frame));
    if (stop !== null) return stop;
    socket.send(frame);
  }
  return null;
}

/** Waits until `size` more bytes may be queued on `socket`; null then, else why not. */
async function drained(socket: WebSocket, size: number): Promise<ReplayStop | null> {
  const deadline = Date.now() + REPLAY_DRAIN_MS;
  for (;;) {
    if (socket.readyState !== WebSocket.OPEN) return "closed";
    if (canQueue(socket.bufferedAmount, size)) return null;
    if (Date.now() > deadline) return "slow";
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}
