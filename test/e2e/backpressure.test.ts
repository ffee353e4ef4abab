import { describe, expect, inject, it } from "vitest";
import { withTimeout } from "./raw-socket.ts";
import { openClient, waitForMessages } from "./ws-client.ts";

const CLOSE_POLICY_VIOLATION = 1008;
/** A socket may have one platform-size message (32 MiB) waiting to be sent; past that it is dropped. */
const SLOW_READER_REASON = "slow reader: over 33554432 bytes waiting to be sent";
const CHUNK = Buffer.alloc(4 * 1024 * 1024, 7);
/** 80 MiB sent to a client that reads nothing: well past the 32 MiB a socket may have unsent. */
const CHUNKS = 20;

/** Sends `count` chunks, each after the socket's own send buffer drained, so the server gets them all. */
async function sendChunks(send: (data: Buffer, done: (error?: Error) => void) => void, count: number) {
  for (let i = 0; i < count; i++)
    await new Promise<void>((resolve, reject) => send(CHUNK, (e) => (e ? reject(e) : resolve())));
}

describe("a client that stops reading", () => {
  it("is closed with 1008 'slow reader' on the echo, while another socket keeps echoing", async () => {
    const url = `${inject("wsUrl")}/ws`;
    const stalled = await openClient(url);
    const bystander = await openClient(url);
    stalled.ws.pause(); // reads nothing from here on: the server's queue to it grows
    await sendChunks((data, done) => stalled.ws.send(data, done), CHUNKS);
    bystander.ws.send("still echoing");
    await waitForMessages(bystander, 1);
    expect(bystander.received[0]?.data.toString()).toBe("still echoing");
    stalled.ws.resume();
    const closed = await withTimeout(stalled.closed, 30_000, "stalled client never closed: no backpressure cap?");
    expect(closed).toEqual({ code: CLOSE_POLICY_VIOLATION, reason: SLOW_READER_REASON });
    expect(stalled.received.length).toBeLessThan(CHUNKS);
    bystander.ws.close(1000);
    await bystander.closed;
  }, 60_000);

  it("is dropped from a room with 1008 'slow reader' while the other members get every message", async () => {
    const room = `${inject("wsUrl")}/rooms/slow-${crypto.randomUUID()}`;
    const sender = await openClient(room);
    const stalled = await openClient(room);
    const reader = await openClient(room);
    stalled.ws.pause();
    // In step with the reader, so only the stalled member falls behind: a reader that is
    // merely slower than the sender by 32 MiB would be dropped too, by the same rule.
    for (let i = 1; i <= CHUNKS; i++) {
      sender.ws.send(CHUNK);
      await waitForMessages(reader, i, 30_000);
    }
    expect(reader.received.every((m) => m.binary && m.data.equals(CHUNK))).toBe(true);
    stalled.ws.resume();
    const closed = await withTimeout(stalled.closed, 30_000, "stalled member never closed: no backpressure cap?");
    expect(closed).toEqual({ code: CLOSE_POLICY_VIOLATION, reason: SLOW_READER_REASON });
    for (const client of [sender, reader]) {
      client.ws.close(1000);
      await client.closed;
    }
  }, 60_000);
});
