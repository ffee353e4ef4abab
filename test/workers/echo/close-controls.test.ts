import { describe, expect, it } from "vitest";
import { pendingTimers } from "../../../src/echo/timers";
import { connect, finish, waitForClose, waitForMessage, waitForMessages } from "../helpers";

/** Opens `path` and starts listening for the close at once, so a close at the open is not missed. */
async function open(path: string) {
  const socket = await connect(path, {});
  const received: (string | ArrayBuffer)[] = [];
  socket.addEventListener("message", (event: MessageEvent) => {
    const data: unknown = event.data;
    if (typeof data === "string" || data instanceof ArrayBuffer) received.push(data);
  });
  return { socket, received, closed: waitForClose(socket) };
}

describe("close=CODE", () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4001, 4999])(
    "closes with %i as soon as the socket is open",
    async (code) => {
      const { closed, received } = await open(`/ws?close=${code}&reason=asked`);
      const event = await closed;
      expect(event.code).toBe(code);
      expect(event.reason).toBe("asked");
      expect(received).toEqual([]);
    },
  );

  it("carries a reason of the full 123 bytes of UTF-8", async () => {
    const reason = `${"é".repeat(61)}x`;
    const { closed } = await open(`/ws?close=4001&reason=${encodeURIComponent(reason)}`);
    expect((await closed).reason).toBe(reason);
  });
});

describe("close with after=N", () => {
  it("closes right after the N-th echo and echoes nothing that arrives after it", async () => {
    const { socket, closed, received } = await open("/ws?close=4001&reason=after+three&after=3");
    for (let i = 1; i <= 5; i++) socket.send(`m${i}`);
    const event = await closed;
    expect(received).toEqual(["m1", "m2", "m3"]);
    expect(event.code).toBe(4001);
    expect(event.reason).toBe("after three");
  });

  it("closes after the N-th delayed echo, sent once its delay is over", async () => {
    const { socket, closed, received } = await open("/ws?close=1000&after=2&delay=30");
    socket.send("a");
    socket.send("b");
    socket.send("c");
    expect((await closed).code).toBe(1000);
    expect(received).toEqual(["a", "b"]);
  });
});

describe("close with after_ms=MS", () => {
  it("closes that long after the open, echoing until then", async () => {
    const { socket, closed } = await open("/ws?close=1012&reason=restart&after_ms=200");
    socket.send("before the close");
    expect(await waitForMessage(socket)).toBe("before the close");
    const event = await closed;
    expect(event.code).toBe(1012);
    expect(event.reason).toBe("restart");
  });

  it("closes at whichever comes first, after or after_ms", async () => {
    const early = await open("/ws?close=4002&after=1&after_ms=60000");
    early.socket.send("x");
    expect((await early.closed).code).toBe(4002);
    expect(early.received).toEqual(["x"]);
    const timed = await open("/ws?close=4003&after=100&after_ms=50");
    expect((await timed.closed).code).toBe(4003);
  });

  it("clears the close timer when the client leaves first", async () => {
    const before = pendingTimers();
    const { socket } = await open("/ws?close=4000&after_ms=3600000");
    expect(pendingTimers()).toBe(before + 1);
    await finish(socket);
    expect(pendingTimers()).toBe(before);
  });
});

describe("drop=N", () => {
  it("cuts the connection with no close frame when the N-th message arrives: the client sees 1006", async () => {
    const { socket, closed, received } = await open("/ws?drop=3");
    socket.send("one");
    socket.send("two");
    await waitForMessages(socket, 2);
    socket.send("three");
    const event = await closed;
    expect(event.code).toBe(1006);
    expect(event.wasClean).toBe(false);
    expect(received).toEqual(["one", "two"]);
  });

  it("drops held echoes and clears every timer with the connection", async () => {
    const before = pendingTimers();
    const { socket, closed, received } = await open("/ws?drop=2&delay=60000&push=10&interval=60000");
    socket.send("held");
    socket.send("cut");
    expect((await closed).code).toBe(1006);
    expect(received).toEqual([]);
    expect(pendingTimers()).toBe(before);
  });
});
