/**
 * Faults on a positioned member's way in and on a message's way into history, each
 * injected in the Workers runtime: a read of another object that never answers, a
 * catch-up that live traffic outruns, a history write that fails whole or halfway.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CATCH_UP_TIMEOUT_REASON, READ_DEADLINE_MS } from "../../../../src/rooms/history/deadline";
import { HOLD_OVERFLOW_REASON } from "../../../../src/rooms/history/delivery";
import { MAX_HELD_BYTES } from "../../../../src/rooms/history/hold-list";
import { HistoryStore } from "../../../../src/rooms/history/store";
import { Room } from "../../../../src/rooms/room";
import { HISTORY_WRITE_FAILED_REASON } from "../../../../src/rooms/traffic";
import { fetchWithVars, payload, waitForClose, waitForMessages } from "../../helpers";
import { freshRoom, joinRoom, roomShard, shardMembers } from "../helpers";
import { joinPositioned } from "./positioned";

const MiB = 1024 * 1024;
/** Two members an object: the first two joins are shard 0, the next two shard 1. */
const SHARDED = { ROOM_SHARD_CONNECTIONS: "2" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A room of [2, 2]: bystanders on shard 0, a sender and a witness on shard 1, which said
 * `e 0`…`e 4`; the next member joins a third object, and reads the others' history.
 */
async function roomWithHistoryElsewhere() {
  const room = freshRoom();
  for (let i = 0; i < 2; i++) await joinRoom(room, { vars: SHARDED });
  const [sender, witness] = [await joinRoom(room, { vars: SHARDED }), await joinRoom(room, { vars: SHARDED })];
  expect(await shardMembers(room, 2)).toEqual([2, 2]);
  const arriving = waitForMessages(witness, 5);
  for (let i = 0; i < 5; i++) sender.send(`e ${i}`);
  await arriving;
  return { room, sender, witness };
}

/** Every `historyRead` from now on never answers. */
function stallReads() {
  return vi.spyOn(Room.prototype, "historyRead").mockImplementation(() => new Promise(() => {}));
}

describe("a read of another object that never answers", () => {
  it("closes the joining member 1011 past the deadline, and the next join on that object is not held by it", async () => {
    const { room, sender, witness } = await roomWithHistoryElsewhere();
    const reads = stallReads();
    const member = await joinPositioned(room, "history=5", SHARDED); // shard 0's second place
    const closed = waitForClose(member.socket);
    const arriving = waitForMessages(witness, 50);
    for (let i = 0; i < 50; i++) sender.send(`live ${i}`);
    await arriving;
    const started = Date.now();
    const close = await closed;
    expect({ code: close.code, reason: close.reason }).toEqual({ code: 1011, reason: CATCH_UP_TIMEOUT_REASON });
    expect(Date.now() - started).toBeLessThan(READ_DEADLINE_MS + 2_000);
    expect(member.frames).toEqual([]); // no joined: nothing was claimed
    expect(reads).toHaveBeenCalled();

    // The fault clears; the stalled read is still pending. The next join goes through at once.
    reads.mockRestore();
    const next = await joinPositioned(room, "history=5", SHARDED);
    const frames = await next.frameCount(6);
    expect(frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 5 });
    expect(next.messages()).toEqual(Array.from({ length: 5 }, (_, i) => `live ${45 + i}`));
  }, 30_000);

  it("closes the joining member 1013 once live messages held for it pass the bound, before the deadline", async () => {
    const { room, sender, witness } = await roomWithHistoryElsewhere();
    stallReads();
    const member = await joinPositioned(room, "history=5", SHARDED);
    const closed = waitForClose(member.socket);
    const size = 12 * MiB; // three pass MAX_HELD_BYTES (32 MiB)
    expect(3 * size).toBeGreaterThan(MAX_HELD_BYTES);
    const arriving = waitForMessages(witness, 3);
    for (let i = 0; i < 3; i++) sender.send(payload(size, i));
    await arriving;
    const close = await closed;
    expect({ code: close.code, reason: close.reason }).toEqual({ code: 1013, reason: HOLD_OVERFLOW_REASON });
  }, 30_000);
});

describe("a history write that fails", () => {
  it("closes the sender 1011 with a reason; nobody gets that message, live or on resume", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    const member = await joinPositioned(room, "history=0");
    await member.frameCount(1);
    const append = HistoryStore.prototype.append;
    let calls = 0;
    vi.spyOn(HistoryStore.prototype, "append").mockImplementation(function (this: HistoryStore, ...args) {
      if (++calls === 2) throw new Error("SQLITE_FULL: database or disk is full");
      return append.apply(this, args);
    });
    const closed = waitForClose(sender);
    const arriving = waitForMessages(witness, 2);
    for (const text of ["m 1", "m 2", "m 3"]) sender.send(text);
    const close = await closed;
    expect({ code: close.code, reason: close.reason }).toEqual({ code: 1011, reason: HISTORY_WRITE_FAILED_REASON });
    // Another member's message comes next: nothing of "m 2" (or of what followed it) went out.
    const other = await joinRoom(room);
    other.send("after");
    expect(await arriving).toEqual(["m 1", "after"]);
    await member.frameCount(3);
    expect(member.messages()).toEqual(["m 1", "after"]);
    const page: { messages: { data: string }[] } = await (await fetchWithVars(`/rooms/${room}/history`, {})).json();
    expect(page.messages.map((m) => m.data)).toEqual(["m 1", "after"]);
  });

  it("of a message over 1 MiB failing at its second part leaves nothing of it in history", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    const arriving = waitForMessages(witness, 1);
    sender.send("before");
    await arriving;
    await runInDurableObject(roomShard(room, 0), (_: Room, state) => {
      const { sql } = state.storage;
      const exec = sql.exec;
      vi.spyOn(sql, "exec").mockImplementation(function (this: SqlStorage, query, ...bindings) {
        if (query.startsWith("INSERT INTO history_parts")) throw new Error("SQLITE_IOERR: disk I/O error");
        return exec.call(this, query, ...bindings);
      });
    });
    const closed = waitForClose(sender);
    sender.send(payload(MiB + 1000, 3));
    expect((await closed).code).toBe(1011);
    vi.restoreAllMocks();
    const rows = await runInDurableObject(roomShard(room, 0), (_: Room, state) => ({
      history: state.storage.sql.exec("SELECT COUNT(*) AS n FROM history").one().n,
      parts: state.storage.sql.exec("SELECT COUNT(*) AS n FROM history_parts").one().n,
    }));
    expect(rows).toEqual({ history: 1, parts: 0 });
    const page: { messages: { data: string }[] } = await (await fetchWithVars(`/rooms/${room}/history`, {})).json();
    expect(page.messages.map((m) => m.data)).toEqual(["before"]);
    await sleep(0);
  });
});
