/**
 * The run the ordering and fault phases share: sockets that each send a fixed
 * number of messages without waiting for echoes, in paced batches, then wait
 * for every echo until a deadline.
 */
import type { MessageKind } from "../../bench/payload.ts";
import { RunStats } from "../../bench/stats.ts";
import {
  CLOSE_TIMEOUT_MS,
  deadlineIn,
  drain,
  MESSAGE_BYTES,
  newPool,
  openChannels,
  secondsSince,
  settle,
} from "./phase.ts";

export interface Streaming {
  sockets: number;
  messagesEach: number;
  /** The type of message `seq` of socket `id`. */
  kindOf: (seq: number, id: number) => MessageKind;
  /** Messages a socket sends between pauses. */
  batch: number;
  pause: () => Promise<void>;
  /** Seconds from the first message to the last echo awaited. */
  deadlineS: number;
}

/** What a streaming run counted, and how many sockets it opened. */
export interface Streamed {
  stats: RunStats;
  opened: number;
}

/** Runs `streaming` on `url`, with `alongside` running while the sockets stream; closes them at the end. */
export async function stream(
  url: string,
  streaming: Streaming,
  alongside: () => Promise<void> = async () => {},
): Promise<Streamed> {
  const stats = new RunStats();
  const pool = newPool(stats);
  const channels = await openChannels(pool, url, streaming.sockets);
  const deadline = deadlineIn(streaming.deadlineS);
  const echoStart = performance.now();
  const sending = channels.map(async (channel, id) => {
    for (let seq = 0; seq < streaming.messagesEach && channel.socket.open; seq++) {
      channel.send(MESSAGE_BYTES, streaming.kindOf(seq, id));
      if (seq % streaming.batch === streaming.batch - 1) await streaming.pause();
    }
    await drain(channel, deadline);
  });
  await Promise.all([...sending, alongside()]);
  stats.seconds = secondsSince(echoStart);
  settle(channels, streaming.messagesEach, stats, "unexpectedCloses", "sockets closed early");
  await pool.closeAll(CLOSE_TIMEOUT_MS);
  return { stats, opened: channels.length };
}
