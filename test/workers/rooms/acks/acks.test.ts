/**
 * Sending that loses nothing, in one object: a member with `&acks=1` sends each message
 * with an id, and is acked once the message is stored (never before, never for a
 * message refused); a resend of a stored id is acked with its first position and not
 * delivered again; envelopes carry the id.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { BAD_BINARY_FRAME, BAD_ID, BAD_TEXT_FRAME } from "../../../../src/rooms/acks/frame";
import {
  ACKS_HISTORY_OFF,
  ACKS_NEED_CLIENT,
  ACKS_NOT_ONE,
  ACKS_NOT_POSITIONED,
} from "../../../../src/rooms/acks/identity";
import { INVALID_CLIENT_ID } from "../../../../src/rooms/client-id";
import { parsePosition } from "../../../../src/rooms/history/position";
import { HistoryStore } from "../../../../src/rooms/history/store";
import { HISTORY_WRITE_FAILED_REASON, READ_ONLY_SENT_REASON } from "../../../../src/rooms/traffic";
import { fetchWithVars, upgradeHeaders, waitForClose } from "../../helpers";
import { TOKEN_VARS, token } from "../access/tokens";
import { freshRoom } from "../helpers";
import { drop, joinPositioned } from "../history/positioned";
import { ackCount, acksOf, joinAcked, sendBinary, sendText } from "./acked";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The message frames a member got with `id`. */
function deliveriesOf(frames: readonly { type: string; id?: string }[], id: string) {
  return frames.filter((frame) => frame.type === "message" && frame.id === id);
}

describe("a member with acks=1", () => {
  it("is acked for each message once stored, and every member gets it in an envelope carrying its id", async () => {
    const room = freshRoom();
    const sender = await joinAcked(room, "alice");
    const other = await joinPositioned(room, "history=0");
    await Promise.all([sender.frameCount(1), other.frameCount(1)]);
    sendText(sender.socket, "m-1", "hello");
    sendBinary(sender.socket, "m-2", [0, 1, 255]);
    const acks = await ackCount(sender, 2);
    expect(acks.map(({ id }) => id)).toEqual(["m-1", "m-2"]);
    for (const ack of acks) expect(Object.keys(ack).sort()).toEqual(["id", "position", "type"]);
    // An ack's position is the message's own place: its origin's mark alone.
    const [first, second] = acks.map(({ position }) => parsePosition(position));
    expect(first?.marks.get(0)?.offset).toBe(1);
    expect(second?.marks.get(0)?.offset).toBe(2);
    const frames = await other.frameCount(3);
    expect(frames[1]).toMatchObject({ type: "message", id: "m-1", data: "hello" });
    expect(frames[2]).toMatchObject({ type: "message", id: "m-2", binary: true, data: [0, 1, 255] });
  });

  it("gets the ack before its own message (echo=1) and before anything later of its object", async () => {
    const room = freshRoom();
    const sender = await joinAcked(room, "alice", "history=0&echo=1");
    await sender.frameCount(1);
    sendText(sender.socket, "m-1", "one");
    sendText(sender.socket, "m-2", "two");
    const frames = await sender.frameCount(5);
    expect(frames.slice(1).map(({ type, id }) => `${type} ${id}`)).toEqual([
      "ack m-1",
      "message m-1",
      "ack m-2",
      "message m-2",
    ]);
  });

  it("is acked only after the write has returned: a write still under way holds the ack", async () => {
    const room = freshRoom();
    const sender = await joinAcked(room, "alice");
    await sender.frameCount(1);
    // What the sender's socket was handed while the write ran: the runtime's output gate holds
    // whatever is sent after a write until it is stored, so the ack must come after it, not during.
    const handed: string[] = [];
    const send = WebSocket.prototype.send;
    vi.spyOn(WebSocket.prototype, "send").mockImplementation(function (this: WebSocket, message) {
      if (typeof message === "string") handed.push(message);
      send.call(this, message);
    });
    const append = HistoryStore.prototype.append;
    const duringWrite: string[][] = [];
    vi.spyOn(HistoryStore.prototype, "append").mockImplementation(function (this: HistoryStore, ...args) {
      const entry = append.apply(this, args);
      duringWrite.push(handed.filter((frame) => frame.includes('"ack"')));
      return entry;
    });
    sendText(sender.socket, "m-1", "hello");
    await ackCount(sender, 1);
    expect(duringWrite).toEqual([[]]);
    expect(handed.filter((frame) => frame.includes('"ack"'))).toHaveLength(1);
  });

  it("whose write fails is not acked, and nothing is delivered; it is closed 1011 and its resend is stored once", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const room = freshRoom();
    const sender = await joinAcked(room, "alice");
    const other = await joinPositioned(room, "history=0");
    await Promise.all([sender.frameCount(1), other.frameCount(1)]);
    const append = HistoryStore.prototype.append;
    let failures = 1;
    vi.spyOn(HistoryStore.prototype, "append").mockImplementation(function (this: HistoryStore, ...args) {
      if (failures-- > 0) throw new Error("disk full (test)");
      return append.apply(this, args);
    });
    const closed = waitForClose(sender.socket);
    sendText(sender.socket, "m-1", "hello");
    const event = await closed;
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 1011, reason: HISTORY_WRITE_FAILED_REASON });
    expect(acksOf(sender)).toEqual([]);
    const back = await joinAcked(room, "alice", `since=${sender.frames[0]?.position}`);
    await back.frameCount(1);
    sendText(back.socket, "m-1", "hello");
    const [ack] = await ackCount(back, 1);
    expect(ack).toMatchObject({ id: "m-1" });
    await other.frameCount(2);
    expect(deliveriesOf(other.frames, "m-1")).toHaveLength(1);
  });

  it("resending a stored id, on the same socket or after a reconnect, gets the first position and no second delivery", async () => {
    const room = freshRoom();
    const sender = await joinAcked(room, "alice");
    const other = await joinPositioned(room, "history=0");
    await Promise.all([sender.frameCount(1), other.frameCount(1)]);
    sendText(sender.socket, "m-1", "hello");
    const [first] = await ackCount(sender, 1);
    sendText(sender.socket, "m-1", "hello");
    const [, again] = await ackCount(sender, 2);
    expect(again).toEqual(first);
    const since = sender.frames[0]?.position;
    await drop(sender.socket);
    const back = await joinAcked(room, "alice", `since=${since}`);
    sendText(back.socket, "m-1", "hello");
    sendText(back.socket, "m-2", "new");
    const acks = await ackCount(back, 2);
    expect(acks[0]).toEqual(first);
    expect(acks[1]).toMatchObject({ id: "m-2" });
    await other.frameCount(3);
    expect(deliveriesOf(other.frames, "m-1")).toHaveLength(1);
    expect(other.frames.map(({ id }) => id)).toEqual([undefined, "m-1", "m-2"]);
  });

  it("deduplicates per identity: another client may use the same id", async () => {
    const room = freshRoom();
    const [alice, bob] = [await joinAcked(room, "alice"), await joinAcked(room, "bob")];
    const other = await joinPositioned(room, "history=0");
    await Promise.all([alice.frameCount(1), bob.frameCount(1), other.frameCount(1)]);
    sendText(alice.socket, "1", "from alice");
    await ackCount(alice, 1);
    sendText(bob.socket, "1", "from bob");
    await ackCount(bob, 1);
    await other.frameCount(3);
    expect(other.frames.slice(1).map(({ data }) => data)).toEqual(["from alice", "from bob"]);
  });

  it.each([
    ["text that is not JSON", "hello", BAD_TEXT_FRAME],
    ["text without an id", JSON.stringify({ data: "x" }), BAD_TEXT_FRAME],
    ["an id of 65 characters", JSON.stringify({ id: "x".repeat(65), data: "x" }), BAD_ID],
    ["an id with a space", JSON.stringify({ id: "a b", data: "x" }), BAD_ID],
    ["binary too short for a header", new Uint8Array([0, 0]).buffer, BAD_BINARY_FRAME],
    ["binary whose header runs past the frame", new Uint8Array([0, 0, 0, 9, 123]).buffer, BAD_BINARY_FRAME],
  ])(
    "sending %s is closed 1007 with what was wrong, and nothing is acked or delivered",
    async (_what, frame, reason) => {
      const room = freshRoom();
      const sender = await joinAcked(room, "alice");
      const other = await joinPositioned(room, "history=0");
      await Promise.all([sender.frameCount(1), other.frameCount(1)]);
      const closed = waitForClose(sender.socket);
      sender.socket.send(frame);
      const event = await closed;
      expect({ code: event.code, reason: event.reason }).toEqual({ code: 1007, reason });
      expect(acksOf(sender)).toEqual([]);
      expect(other.frames).toHaveLength(1);
    },
  );

  it("over the size limit (of the message, not its frame) or the rate keeps today's closes; what was refused is never acked", async () => {
    const room = freshRoom();
    const big = await joinAcked(room, "big", "history=0", { MAX_MESSAGE_BYTES: "64" });
    await big.frameCount(1);
    // The limit is the message's, not the frame's: the id around it does not count.
    sendText(big.socket, "m-0", "x".repeat(64));
    await ackCount(big, 1);
    const closedBig = waitForClose(big.socket);
    sendText(big.socket, "m-1", "x".repeat(65));
    const event = await closedBig;
    expect({ code: event.code, reason: event.reason }).toEqual({
      code: 1009,
      reason: "message of 65 bytes exceeds the 64-byte limit",
    });
    expect(acksOf(big).map(({ id }) => id)).toEqual(["m-0"]);

    const fast = await joinAcked(room, "fast", "history=0", { MAX_MESSAGES_PER_SECOND: "3" });
    await fast.frameCount(1);
    const closedFast = waitForClose(fast.socket);
    for (let i = 0; i < 20; i++) sendText(fast.socket, `f-${i}`, "burst");
    expect((await closedFast).code).toBe(1008);
    expect(acksOf(fast).map(({ id }) => id)).toEqual(["f-0", "f-1", "f-2"]);
  });

  it("read-only in a private room is closed 4403 and not acked; its identity is the token's sub", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room] });
    const reader = await joinPositioned(room, `history=0&acks=1&token=${encodeURIComponent(jwt)}`, {
      ...TOKEN_VARS,
      ROOM_TOKEN_QUERY: "on",
    });
    await reader.frameCount(1);
    const closed = waitForClose(reader.socket);
    sendText(reader.socket, "m-1", "hello");
    const event = await closed;
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4403, reason: READ_ONLY_SENT_REASON });
    expect(acksOf(reader)).toEqual([]);
  });
});

describe("a join with acks=1 is refused with 400 and why", () => {
  it.each([
    ["acks other than 1", "history=0&acks=yes&client=c", {}, ACKS_NOT_ONE],
    ["with history off", "history=0&acks=1&client=c", { ROOM_HISTORY_MESSAGES: "0" }, ACKS_HISTORY_OFF],
    ["on a verbatim join", "acks=1&client=c", {}, ACKS_NOT_POSITIONED],
    ["in an open room without client", "history=0&acks=1", {}, ACKS_NEED_CLIENT],
    ["with a client of 65 characters", `history=0&acks=1&client=${"c".repeat(65)}`, {}, INVALID_CLIENT_ID],
  ])("%s", async (_what, query, vars: Partial<Env>, reason) => {
    const response = await fetchWithVars(`/rooms/${freshRoom()}?${query}`, vars, { headers: upgradeHeaders() });
    expect(response.status).toBe(400);
    expect((await response.text()).trim()).toBe(reason);
  });
});
