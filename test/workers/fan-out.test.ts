import { describe, expect, it } from "vitest";
import { fanOut, type Recipient } from "../../src/fan-out";

/** A recipient that records what it is sent, or throws like a socket whose send fails. */
class Inbox implements Recipient {
  readonly received: (string | ArrayBuffer)[] = [];
  constructor(
    readonly readyState = 1,
    private readonly failure: Error | null = null,
  ) {}
  send(message: string | ArrayBuffer): void {
    if (this.failure !== null) throw this.failure;
    this.received.push(message);
  }
}

describe("fanOut", () => {
  it("sends to every recipient but the sender", () => {
    const [sender, a, b] = [new Inbox(), new Inbox(), new Inbox()];
    expect(fanOut([sender, a, b], sender, "hi", false)).toEqual([]);
    expect(sender.received).toEqual([]);
    expect(a.received).toEqual(["hi"]);
    expect(b.received).toEqual(["hi"]);
  });

  it("sends to the sender too when asked", () => {
    const [sender, a] = [new Inbox(), new Inbox()];
    fanOut([sender, a], sender, "hi", true);
    expect(sender.received).toEqual(["hi"]);
    expect(a.received).toEqual(["hi"]);
  });

  it("passes the same ArrayBuffer on, not a copy or a string", () => {
    const [sender, a] = [new Inbox(), new Inbox()];
    const bytes = new Uint8Array([1, 2, 3]).buffer;
    fanOut([sender, a], sender, bytes, false);
    expect(a.received[0]).toBe(bytes);
  });

  it("skips recipients that are closing or closed", () => {
    const [sender, closing, closed, open] = [new Inbox(), new Inbox(2), new Inbox(3), new Inbox()];
    fanOut([sender, closing, closed, open], sender, "hi", false);
    expect(closing.received).toEqual([]);
    expect(closed.received).toEqual([]);
    expect(open.received).toEqual(["hi"]);
  });

  it("goes on past a failing send and returns the failure for the caller to drop", () => {
    const failure = new Error("send failed");
    const [sender, before, broken, after] = [new Inbox(), new Inbox(), new Inbox(1, failure), new Inbox()];
    const failures = fanOut([sender, before, broken, after], sender, "hi", false);
    expect(failures).toEqual([{ recipient: broken, error: failure }]);
    expect(before.received).toEqual(["hi"]);
    expect(after.received).toEqual(["hi"]);
  });
});
