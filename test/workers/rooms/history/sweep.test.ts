/**
 * History's sweep: rows past the window are deleted from the alarm, and an object that
 * keeps messages wakes once a window for it, not each time its oldest row expires.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nextSweep } from "../../../../src/rooms/history/room-history";
import type { Room } from "../../../../src/rooms/room";
import { finish, waitForMessages } from "../../helpers";
import { freshRoom, joinRoom, roomShard } from "../helpers";
import { drop, joinPositioned } from "./positioned";

const WINDOW_SECONDS = 1;
const vars = { ROOM_HISTORY_SECONDS: String(WINDOW_SECONDS) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("history's sweep", () => {
  it("deletes what the window passed, keeps the rest, and comes back no sooner than a window later", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room, { vars }), await joinRoom(room, { vars })];
    const say = async (text: string) => {
      const arriving = waitForMessages(witness, 1);
      sender.send(text);
      await arriving;
    };
    await say("old");
    await sleep(1_500);
    await say("new");
    // The first sweep was asked for a window and its slack after "old".
    await sleep(900);
    expect(await runDurableObjectAlarm(roomShard(room, 0))).toBe(true);
    const after = await runInDurableObject(roomShard(room, 0), async (_: Room, state) => ({
      kept: [...state.storage.sql.exec("SELECT offset FROM history ORDER BY offset")].map((row) => row.offset),
      wakeIn: ((await state.storage.getAlarm()) ?? 0) - Date.now(),
    }));
    expect(after.kept).toEqual([2]); // "new": "old" (1) is gone
    // "new" expires within half a second (a sweep for it alone: in about 1.1 s); the next
    // sweep waits a window and its slack (about 2 s) anyway.
    expect(after.wakeIn).toBeGreaterThan(WINDOW_SECONDS * 1000 + 500);
  });
});

describe("when the next sweep comes", () => {
  const window = 300;
  it("under steady traffic (the oldest row expires at once), a window from now", () => {
    expect(nextSweep(10_000, 10_000, window)).toBe(10_000 + window * 1000 + 1000);
  });

  it("when the oldest row left expires later than a window from now, then", () => {
    expect(nextSweep(500_000, 10_000, window)).toBe(501_000);
  });
});

describe("what history leaves behind", () => {
  /** Every key in the object's storage. */
  const keys = (room: string, shard = 0) =>
    runInDurableObject(roomShard(room, shard), async (_: Room, state) =>
      [...state.storage.kv.list()].map(([key]) => key),
    );

  it("an idle, empty, swept room keeps only its offset and epoch", async () => {
    const room = freshRoom();
    const sender = await joinRoom(room, { vars });
    const member = await joinPositioned(room, "history=0", vars);
    for (const text of ["a", "b", "c"]) sender.send(text);
    await member.frameCount(4);
    await drop(member.socket);
    await finish(sender);
    await sleep(WINDOW_SECONDS * 1000 + 200);
    while (await runDurableObjectAlarm(roomShard(room, 0))) await sleep(0);
    expect(await keys(room)).toEqual(["history:epoch", "history:floor"]);
    // Offsets go on from where they were: a new join's position is past what was kept.
    const again = await joinPositioned(room, "history=5", vars);
    const [joined] = await again.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 0 });
  });

  it("after ROOM_HISTORY_MESSAGES=0, rows written while history was on are deleted", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room, { vars }), await joinRoom(room, { vars })];
    const arriving = waitForMessages(witness, 3);
    for (const text of ["a", "b", "c"]) sender.send(text);
    await arriving;
    await joinRoom(room, { vars: { ...vars, ROOM_HISTORY_MESSAGES: "0" } });
    const left = await runInDurableObject(roomShard(room, 0), async (_: Room, state) => ({
      rows: state.storage.sql.exec("SELECT COUNT(*) AS n FROM history").one().n,
      window: state.storage.kv.get("history:window") ?? null,
    }));
    expect(left).toEqual({ rows: 0, window: null });
  });

  it("an object swept empty with nobody left still honours the positions it gave: a resume with nothing missed recovers", async () => {
    const SHARDED = { ...vars, ROOM_SHARD_CONNECTIONS: "2" };
    const room = freshRoom();
    await joinRoom(room, { vars: SHARDED });
    const member = await joinPositioned(room, "history=0", SHARDED);
    const [sender, witness] = [await joinRoom(room, { vars: SHARDED }), await joinRoom(room, { vars: SHARDED })];
    sender.send("x");
    const [, heard] = await member.frameCount(2);
    await finish(sender);
    await finish(witness);
    await sleep(WINDOW_SECONDS * 1000 + 200);
    while (await runDurableObjectAlarm(roomShard(room, 1))) await sleep(0);
    expect(await keys(room, 1)).toEqual(["history:epoch", "history:floor"]);
    await drop(member.socket);
    const back = await joinPositioned(room, `since=${heard?.position}`, SHARDED);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 0 });
  });
});
