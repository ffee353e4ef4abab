/**
 * A replay is paced by its member's unsent bytes, as live delivery is checked by them
 * (`canQueue`): it waits while the socket's queue is full, goes on once it drains, and
 * drops a member that does not drain within `REPLAY_DRAIN_MS` with 1008, as a slow reader.
 * The runtime under test does not report `bufferedAmount`; the tests give sockets one.
 */
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { MAX_UNSENT_BYTES, SLOW_READER_REASON } from "../../../../src/protocol/backpressure";
import { REPLAY_DRAIN_MS } from "../../../../src/rooms/history/replay";
import { payload, waitForMessages } from "../../helpers";
import { freshRoom, joinRoom } from "../helpers";
import { drop, joinPositioned } from "./positioned";

const MiB = 1024 * 1024;

/** Every socket reports `unsent()` bytes waiting, until the test ends. */
function unsentBytes(unsent: () => number): void {
  Object.defineProperty(WebSocket.prototype, "bufferedAmount", { configurable: true, get: unsent });
  onTestFinished(() => {
    Reflect.deleteProperty(WebSocket.prototype, "bufferedAmount");
  });
}

afterEach(() => {
  Reflect.deleteProperty(WebSocket.prototype, "bufferedAmount");
});

/** A member that left after `joined`, while three messages were sent; its position to resume from. */
async function awayForThree(room: string, message: (i: number) => string | Uint8Array): Promise<string> {
  const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
  const member = await joinPositioned(room, "history=0");
  const [joined] = await member.frameCount(1);
  await drop(member.socket);
  const arriving = waitForMessages(witness, 3);
  for (let i = 0; i < 3; i++) sender.send(message(i));
  await arriving;
  return joined?.position ?? "";
}

describe("a replay to a member whose socket is full", () => {
  it("waits until the socket drains, then sends every message", async () => {
    const room = freshRoom();
    const since = await awayForThree(room, (i) => `r ${i}`);
    const drainsAt = Date.now() + 500;
    unsentBytes(() => (Date.now() < drainsAt ? MAX_UNSENT_BYTES : 0));
    const back = await joinPositioned(room, `since=${since}`);
    const arrivals: number[] = [];
    back.socket.addEventListener("message", () => arrivals.push(Date.now()));
    await back.frameCount(4);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 3 });
    expect(back.messages()).toEqual(["r 0", "r 1", "r 2"]);
    // `joined` at once; the replay only once the queue had drained.
    expect(arrivals[0]).toBeLessThan(drainsAt);
    expect(arrivals[1]).toBeGreaterThanOrEqual(drainsAt);
  });

  it(
    `drops a member that does not drain within ${REPLAY_DRAIN_MS} ms with 1008, sending nothing past its queue`,
    async () => {
      const room = freshRoom();
      const since = await awayForThree(room, (i) => payload(2 * MiB, i));
      unsentBytes(() => MAX_UNSENT_BYTES);
      const back = await joinPositioned(room, `since=${since}`);
      // Longer than `waitForClose` waits: the drain is given its full time first.
      const close = await new Promise<CloseEvent>((resolve) => back.socket.addEventListener("close", resolve));
      expect({ code: close.code, reason: close.reason }).toEqual({ code: 1008, reason: SLOW_READER_REASON });
      expect(back.frames.map((frame) => frame.type)).toEqual(["joined"]);
    },
    REPLAY_DRAIN_MS + 15_000,
  );
});

describe("live messages held while a member caught up", () => {
  it("go out checked as live delivery is: past the member's unsent bytes, it is dropped 1008", async () => {
    const room = freshRoom();
    const since = await awayForThree(room, (i) => `r ${i}`);
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    // Only positioned members' sockets (their attachment says so) report a full queue; once
    // `drained` is set, the replay's three frames find it empty, the held messages after them full.
    let drained = 0;
    Object.defineProperty(WebSocket.prototype, "bufferedAmount", {
      configurable: true,
      get(this: WebSocket) {
        const attachment: unknown = this.deserializeAttachment();
        if (typeof attachment !== "object" || attachment === null || !("positioned" in attachment)) return 0;
        if (attachment.positioned !== true) return 0;
        if (drained === 0) return MAX_UNSENT_BYTES;
        drained--;
        return 0;
      },
    });
    const back = await joinPositioned(room, `since=${since}`);
    const closed = new Promise<CloseEvent>((resolve) => back.socket.addEventListener("close", resolve));
    await back.frameCount(1);
    const arriving = waitForMessages(witness, 2);
    sender.send("live 0");
    sender.send("live 1");
    await arriving;
    drained = 3;
    const close = await closed;
    expect({ code: close.code, reason: close.reason }).toEqual({ code: 1008, reason: SLOW_READER_REASON });
    expect(back.messages()).toEqual(["r 0", "r 1", "r 2"]);
  });
});
