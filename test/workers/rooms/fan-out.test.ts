import { describe, expect, it } from "vitest";
import { MAX_UNSENT_BYTES, SlowReaderError } from "../../../src/protocol/backpressure";
import { fanOut, type Recipient } from "../../../src/rooms/fan-out";

/** A recipient that records what it is sent, or throws like a socket whose send fails. */
class Inbox implements Recipient {
  readonly received: (string | ArrayBuffer)[] = [];
  constructor(
    readonly readyState = 1,
    private readonly failure: Error | null = null,
    readonly bufferedAmount = 0,
  ) {}
  send(message: string | ArrayBuffer): void {
    if (this.failure !== null) throw this.failure;
    this.received.push(message);
  }
}

describe("fanOut", () => {
  it("sends to every recipient but the sender", () => {
    const [sender, a, b] = [new Inbox(), new Inbox(), new Inbox()];
    expect(fanOut([sender, a, b], sender, "hi", 2, false)).toEqual([]);
    expect(sender.received).toEqual([]);
    expect(a.received).toEqual(["hi"]);
    expect(b.received).toEqual(["hi"]);
  });

  it("sends to the sender too when asked", () => {
    const [sender, a] = [new Inbox(), new Inbox()];
    fanOut([sender, a], sender, "hi", 2, true);
    expect(sender.received).toEqual(["hi"]);
    expect(a.received).toEqual(["hi"]);
  });

  it("passes the same ArrayBuffer on, not a copy or a string", () => {
    const [sender, a] = [new Inbox(), new Inbox()];
    const bytes = new Uint8Array([1, 2, 3]).buffer;
    fanOut([sender, a], sender, bytes, 2, false);
    expect(a.received[0]).toBe(bytes);
  });

  it("skips recipients that are closing or closed", () => {
    const [sender, closing, closed, open] = [new Inbox(), new Inbox(2), new Inbox(3), new Inbox()];
    fanOut([sender, closing, closed, open], sender, "hi", 2, false);
    expect(closing.received).toEqual([]);
    expect(closed.received).toEqual([]);
    expect(open.received).toEqual(["hi"]);
  });

  it("goes on past a failing send and returns the failure for the caller to drop", () => {
    const failure = new Error("send failed");
    const [sender, before, broken, after] = [new Inbox(), new Inbox(), new Inbox(1, failure), new Inbox()];
    const failures = fanOut([sender, before, broken, after], sender, "hi", 2, false);
    expect(failures).toEqual([{ recipient: broken, error: failure }]);
    expect(before.received).toEqual(["hi"]);
    expect(after.received).toEqual(["hi"]);
  });

  it("skips a recipient too far behind to take the message and returns it as a slow reader", () => {
    const [sender, slow, fine] = [new Inbox(), new Inbox(1, null, MAX_UNSENT_BYTES), new Inbox(1, null, 100)];
    const failures = fanOut([sender, slow, fine], sender, "hi", 2, false);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.recipient).toBe(slow);
    expect(failures[0]?.error).toBeInstanceOf(SlowReaderError);
    expect(slow.received).toEqual([]);
    expect(fine.received).toEqual(["hi"]);
  });
});
