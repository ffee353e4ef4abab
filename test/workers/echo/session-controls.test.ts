import { afterEach, describe, expect, it, vi } from "vitest";
import { pendingTimers } from "../../../src/echo/timers";
import { SLOW_READER_REASON } from "../../../src/protocol/backpressure";
import { bytesOf, connect, finish, type Received, waitForClose, waitForMessages } from "../helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A push's JSON, checked for shape rather than cast. */
function readPush(message: Received | undefined): { push: number; of: number; at: number; pad: string } {
  if (typeof message !== "string") throw new Error("expected a text push");
  const value: unknown = JSON.parse(message);
  if (
    typeof value === "object" &&
    value !== null &&
    "push" in value &&
    typeof value.push === "number" &&
    "of" in value &&
    typeof value.of === "number" &&
    "at" in value &&
    typeof value.at === "number" &&
    "pad" in value &&
    typeof value.pad === "string"
  )
    return { push: value.push, of: value.of, at: value.at, pad: value.pad };
  throw new Error(`not a push: ${message}`);
}

describe("delay and jitter", () => {
  it("echoes every message, in order and type, each held back by delay", async () => {
    const socket = await connect("/ws?delay=20", {});
    socket.send("text");
    socket.send(new Uint8Array([1, 2, 3]));
    const [text, binary] = await waitForMessages(socket, 2);
    expect(text).toBe("text");
    expect(bytesOf(binary)).toEqual([1, 2, 3]);
    await finish(socket);
  });

  it("keeps the order under jitter: no echo overtakes an earlier one", async () => {
    const socket = await connect("/ws?jitter=40", {});
    const sent = Array.from({ length: 60 }, (_, i) => `m${i}`);
    for (const message of sent) socket.send(message);
    expect(await waitForMessages(socket, sent.length)).toEqual(sent);
    await finish(socket);
  });
});

describe("the unsent-bytes cap", () => {
  const chunk = new Uint8Array(4 * 1024 * 1024);

  it("counts echoes held back by delay: past 32 MiB held, the socket is closed 1008", async () => {
    const socket = await connect("/ws?delay=60000", {});
    const before = pendingTimers();
    const closed = waitForClose(socket);
    for (let i = 0; i < 8; i++) socket.send(chunk); // exactly 32 MiB held: still within the cap
    socket.send(new Uint8Array(1)); // one byte more
    const event = await closed;
    expect(event.code).toBe(1008);
    expect(event.reason).toBe(SLOW_READER_REASON);
    expect(pendingTimers()).toBe(before);
  }, 60_000);

  it("takes a 32 MiB message held alone, as the plain echo would", async () => {
    const socket = await connect("/ws?delay=10", {});
    socket.send(new Uint8Array(32 * 1024 * 1024));
    const [echo] = await waitForMessages(socket, 1);
    expect(bytesOf(echo).length).toBe(32 * 1024 * 1024);
    await finish(socket);
  }, 60_000);
});

describe("push", () => {
  it("sends N text pushes numbered 1 to N, alongside the echo", async () => {
    const socket = await connect("/ws?push=5&interval=10", {});
    socket.send("echo me");
    const messages = await waitForMessages(socket, 6);
    expect(messages).toContain("echo me");
    const pushes = messages.filter((m) => m !== "echo me").map(readPush);
    expect(pushes.map((p) => p.push)).toEqual([1, 2, 3, 4, 5]);
    expect(pushes.every((p) => p.of === 5)).toBe(true);
    await finish(socket);
  });

  it("pads text pushes to push_size bytes", async () => {
    const socket = await connect("/ws?push=2&interval=10&push_size=1000", {});
    const messages = await waitForMessages(socket, 2);
    for (const message of messages) expect(new TextEncoder().encode(String(message)).byteLength).toBe(1000);
    expect(messages.map((m) => readPush(m).push)).toEqual([1, 2]);
    await finish(socket);
  });

  it("sends binary pushes of push_size bytes starting with SEQ and the server time", async () => {
    const socket = await connect("/ws?push=3&interval=10&push_type=binary&push_size=64", {});
    const messages = await waitForMessages(socket, 3);
    messages.forEach((message, i) => {
      if (!(message instanceof ArrayBuffer)) throw new Error("expected a binary push");
      expect(message.byteLength).toBe(64);
      const view = new DataView(message);
      expect(view.getBigUint64(0)).toBe(BigInt(i + 1));
      expect(Number(view.getBigUint64(8))).toBeGreaterThan(1_600_000_000_000);
    });
    await finish(socket);
  });

  it("stops after N pushes", async () => {
    const before = pendingTimers();
    const socket = await connect("/ws?push=2&interval=10", {});
    await waitForMessages(socket, 2);
    expect(pendingTimers()).toBe(before);
    socket.send("then only echoes");
    expect(await waitForMessages(socket, 1)).toEqual(["then only echoes"]);
    await finish(socket);
  });
});

describe("timers end with the connection", () => {
  it("clears push and delay timers when the client closes, and does no work after", async () => {
    const errors = vi.spyOn(console, "error");
    const before = pendingTimers();
    const socket = await connect("/ws?push=10000&interval=10&delay=60000", {});
    socket.send("held for a minute");
    await waitForMessages(socket, 2); // two pushes: the timers are running
    expect(pendingTimers()).toBe(before + 2); // the next push and the held echo
    await finish(socket);
    expect(pendingTimers()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 50)); // several intervals: nothing may run
    expect(errors).not.toHaveBeenCalled();
  });

  it("clears them when the server closes as asked", async () => {
    const before = pendingTimers();
    const socket = await connect("/ws?push=10000&interval=10&close=1001&after_ms=50", {});
    expect((await waitForClose(socket)).code).toBe(1001);
    expect(pendingTimers()).toBe(before);
  });
});
