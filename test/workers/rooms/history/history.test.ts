/**
 * Rooms that lose nothing, in one object: positioned joins, envelopes, `history=N`,
 * resuming with `since`, the window, history off, `GET /rooms/:name/history`.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HISTORY_NOT_A_NUMBER, HISTORY_OFF, MALFORMED_SINCE } from "../../../../src/rooms/history/request";
import type { Room } from "../../../../src/rooms/room";
import { fetchWithVars, upgradeHeaders, waitForMessages } from "../../helpers";
import { freshRoom, joinRoom, roomShard } from "../helpers";
import { drop, joinPositioned } from "./positioned";

/** The body of GET /rooms/:name/history, as this test reads it. */
interface Page {
  messages: { data: string }[];
  position: string;
}

/**
 * A positioned member hears "m1", leaves, and `missed` is said while it is away;
 * returns the sender and the position to resume from.
 */
async function awayWhile(room: string, vars: Partial<Env>, missed: string[]) {
  const [sender, witness] = [await joinRoom(room, { vars }), await joinRoom(room, { vars })];
  const member = await joinPositioned(room, "history=0", vars);
  sender.send("m1");
  const [, seen] = await member.frameCount(2);
  await drop(member.socket);
  await say(sender, witness, ...missed);
  return { sender, since: seen?.position };
}

/** Sends each text from `sender` and waits until `witness` (another member) has them all. */
async function say(sender: WebSocket, witness: WebSocket, ...texts: string[]): Promise<void> {
  const arriving = waitForMessages(witness, texts.length);
  for (const text of texts) sender.send(text);
  await arriving;
}

describe("a positioned member", () => {
  it("gets joined first, then every message in an envelope; a verbatim member gets the same bytes as ever", async () => {
    const room = freshRoom();
    const sender = await joinRoom(room);
    const verbatim = await joinRoom(room);
    const member = await joinPositioned(room, "history=0");
    const [joined] = await member.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 0, position: expect.any(String) });
    const verbatimGets = waitForMessages(verbatim, 2);
    sender.send("hello");
    sender.send(new Uint8Array([1, 2, 255]).buffer);
    const frames = await member.frameCount(3);
    expect(frames[1]).toMatchObject({
      type: "message",
      data: "hello",
      sender: expect.any(String),
      time: expect.any(Number),
    });
    expect(frames[2]).toMatchObject({ type: "message", binary: true, data: [1, 2, 255] });
    expect(frames[1]?.position).not.toBe(frames[2]?.position);
    const raw = await verbatimGets;
    expect(raw[0]).toBe("hello");
    expect([...new Uint8Array(raw[1] as ArrayBuffer)]).toEqual([1, 2, 255]);
  });

  it("with history=N gets the last N messages, then live", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    await say(sender, witness, "m1", "m2", "m3", "m4", "m5");
    const member = await joinPositioned(room, "history=3");
    const frames = await member.frameCount(4);
    expect(frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 3 });
    sender.send("m6");
    await member.frameCount(5);
    expect(member.messages()).toEqual(["m3", "m4", "m5", "m6"]);
  });

  it("with history=N past the window gets all the room keeps", async () => {
    const vars = { ROOM_HISTORY_MESSAGES: "2" };
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room, { vars }), await joinRoom(room, { vars })];
    await say(sender, witness, "m1", "m2", "m3");
    const member = await joinPositioned(room, "history=50", vars);
    const frames = await member.frameCount(3);
    expect(frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 2 });
    expect(member.messages()).toEqual(["m2", "m3"]);
  });

  it("resumes with since: every message sent while away, once, in order, then live", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    const first = await joinPositioned(room, "history=0");
    await say(sender, witness, "m1", "m2", "m3");
    const frames = await first.frameCount(4);
    await drop(first.socket);
    await say(sender, witness, "m4", "m5", "m6");

    const back = await joinPositioned(room, `since=${frames[3]?.position}`);
    const again = await back.frameCount(4);
    expect(again[0]).toMatchObject({ type: "joined", recovered: true, replayed: 3, position: frames[3]?.position });
    sender.send("m7");
    await back.frameCount(5);
    expect(back.messages()).toEqual(["m4", "m5", "m6", "m7"]);
  });

  it("is told recovered:false, and where history starts, when the window has passed its position", async () => {
    const vars = { ROOM_HISTORY_MESSAGES: "2" };
    const room = freshRoom();
    const { sender, since } = await awayWhile(room, vars, ["m2", "m3", "m4", "m5"]);
    const back = await joinPositioned(room, `since=${since}`, vars);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0, start: expect.any(String) });
    sender.send("m6");
    await back.frameCount(2);
    expect(back.messages()).toEqual(["m6"]);
  });
});

describe("the window in time", () => {
  it("past ROOM_HISTORY_SECONDS, a resume is recovered:false and replays nothing", async () => {
    const vars = { ROOM_HISTORY_SECONDS: "1" };
    const room = freshRoom();
    const { since } = await awayWhile(room, vars, ["m2"]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const back = await joinPositioned(room, `since=${since}`, vars);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0 });
  });
});

describe("requests history does not allow", () => {
  it.each([
    ["history with history off", "history=1", { ROOM_HISTORY_MESSAGES: "0" }, HISTORY_OFF],
    ["since with history off", "since=abc", { ROOM_HISTORY_MESSAGES: "0" }, HISTORY_OFF],
    ["a malformed since", "since=not-a-position", {}, MALFORMED_SINCE],
    ["history that is not a whole number", "history=1.5", {}, HISTORY_NOT_A_NUMBER],
    ["both", "history=1&since=abc", {}, "use since (to resume) or history (the last N), not both"],
  ])("refuses %s with 400 and the reason", async (_what, query, vars, reason) => {
    const response = await fetchWithVars(`/rooms/${freshRoom()}?${query}`, vars, { headers: upgradeHeaders() });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(`${reason}\n`);
  });

  it("with history off, writes nothing to storage per message", async () => {
    const vars = { ROOM_HISTORY_MESSAGES: "0" };
    const room = freshRoom();
    const response = await fetchWithVars(`/rooms/${room}/history`, vars);
    expect(response.status).toBe(400);
    const [a, b] = [await joinRoom(room, { vars }), await joinRoom(room, { vars })];
    await say(a, b, "one", "two");
    const stored = await runInDurableObject(roomShard(room, 0), (_: Room, state) => ({
      tables: [...state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name LIKE 'history%'")].length,
      keys: [...state.storage.kv.list()].map(([key]) => key),
    }));
    expect(stored).toEqual({ tables: 0, keys: [] });
  });
});

describe("GET /rooms/:name/history", () => {
  it("gives the envelopes as JSON (binary as base64), the position after the last, and recovered", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    const arriving = waitForMessages(witness, 2);
    sender.send("text");
    sender.send(new Uint8Array([0, 255]).buffer);
    await arriving;
    const all = (await (await fetchWithVars(`/rooms/${room}/history`, {})).json()) as Page;
    expect(all).toMatchObject({
      recovered: true,
      messages: [
        { type: "message", data: "text" },
        { type: "message", data: "AP8=", binary: true },
      ],
    });
    const first = (await (await fetchWithVars(`/rooms/${room}/history?limit=1`, {})).json()) as Page;
    const rest = (await (await fetchWithVars(`/rooms/${room}/history?since=${first.position}`, {})).json()) as Page;
    expect(rest.messages.map((m) => m.data)).toEqual(["AP8="]);
    expect(rest.position).toBe(all.position);
  });
});
