/**
 * A resume never says `recovered: true` while a message is missing, whatever the
 * objects' clocks did: an origin the position does not name is read from its start,
 * and is recovered only while its history still holds all of it.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HistoryStore } from "../../../../src/rooms/history/store";
import { Room } from "../../../../src/rooms/room";
import type { RelayBatch } from "../../../../src/rooms/shards/relay-messages";
import { fetchWithVars, waitForMessages } from "../../helpers";
import { freshRoom, joinMany, joinRoom, roomInfo, roomShard, shardMembers } from "../helpers";
import { drop, joinPositioned } from "./positioned";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Sends each text from `sender` and waits until `witness` (another member) has them all. */
async function say(sender: WebSocket, witness: WebSocket, ...texts: string[]): Promise<void> {
  const arriving = waitForMessages(witness, texts.length);
  for (const text of texts) sender.send(text);
  await arriving;
}

const series = (who: string, count: number) => Array.from({ length: count }, (_, i) => `${who} ${i}`);

/** Every message entering the room is stamped with `clock(origin, time)` rather than its object's time. */
function stampWith(clock: (origin: number, time: number) => number): void {
  const append = HistoryStore.prototype.append;
  vi.spyOn(HistoryStore.prototype, "append").mockImplementation(function (this: HistoryStore, data, sender, via, time) {
    const origin: unknown = Reflect.get(this, "origin");
    return append.call(this, data, sender, via, clock(typeof origin === "number" ? origin : -1, time));
  });
}

describe("a position with no mark for an object", () => {
  it("resumed after a new object lost messages past the window, is recovered:false", async () => {
    const vars = { ...SHARDED, ROOM_HISTORY_MESSAGES: "3" };
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 2, { vars }); // shard 0
    const member = await joinPositioned(room, "history=0", vars); // shard 0, full
    await member.frameCount(1);
    sender.send("m 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    await joinRoom(room, { vars }); // shard 0 full again
    const newcomer = await joinRoom(room, { vars }); // shard 1, new
    const other = await joinRoom(room, { vars }); // shard 1
    await say(newcomer, other, ...series("d", 5));
    expect(await shardMembers(room, 2)).toEqual([3, 2]);
    const back = await joinPositioned(room, `since=${seen?.position}`, vars);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0, start: expect.any(String) });
    expect(witness.readyState).toBe(WebSocket.OPEN);
  });

  it("resumed after a new object sent within the window, gets all it sent", async () => {
    const room = freshRoom();
    const [sender] = await joinMany(room, 2, { vars: SHARDED });
    const member = await joinPositioned(room, "history=0", SHARDED);
    await member.frameCount(1);
    sender.send("m 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    await joinRoom(room, { vars: SHARDED });
    const [newcomer, other] = await joinMany(room, 2, { vars: SHARDED }); // shard 1, new
    await say(newcomer, other, ...series("d", 5));
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    const [joined] = await back.frameCount(6);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 5 });
    expect(back.messages()).toEqual(series("d", 5));
  });

  it("crafted as [0,[]] on one object whose window dropped messages, is recovered:false", async () => {
    const vars = { ROOM_HISTORY_MESSAGES: "3" };
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 2, { vars });
    await say(sender, witness, ...series("d", 5));
    const back = await joinPositioned(room, `since=${btoa(JSON.stringify([0, []]))}`, vars);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0 });
  });
});

describe("messages of two objects stamped in the same millisecond", () => {
  it("are both replayed to a member that got only the first", async () => {
    const now = Date.now();
    stampWith(() => now);
    const room = freshRoom();
    const [a, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const b = await joinRoom(room, { vars: SHARDED }); // shard 1
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 1
    await member.frameCount(1);
    a.send("a 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    await say(b, witness, "b 0");
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    const [joined] = await back.frameCount(2);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    expect(back.messages()).toEqual(["b 0"]);
  });

  it("are both served by GET …/history?limit=1, page after page", async () => {
    const now = Date.now();
    stampWith(() => now);
    const room = freshRoom();
    const [a, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const b = await joinRoom(room, { vars: SHARDED }); // shard 1
    await say(a, witness, "a 0");
    await say(b, witness, "b 0");
    const got: string[] = [];
    let since = "";
    for (let page = 0; page < 3; page++) {
      const response = await fetchWithVars(`/rooms/${room}/history?limit=1${since}`, SHARDED);
      const body = (await response.json()) as { messages: { data: string }[]; position: string };
      got.push(...body.messages.map((message) => message.data));
      since = `&since=${body.position}`;
    }
    expect(got.sort()).toEqual(["a 0", "b 0"]);
  });
});

describe("objects whose clocks disagree", () => {
  it("lose nothing to a resume: a message stamped 10 s in the past by its object is replayed", async () => {
    stampWith((origin, time) => (origin === 1 ? time - 10_000 : time));
    const room = freshRoom();
    const [a, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const b = await joinRoom(room, { vars: SHARDED }); // shard 1
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 1
    await member.frameCount(1);
    a.send("a 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    await say(b, witness, "b 0");
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    await back.frameCount(2);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    expect(back.messages()).toEqual(["b 0"]);
  });
});

describe("relay latency", () => {
  it("a message that entered before another but reached the member's object after it is replayed", async () => {
    const room = freshRoom();
    const [a] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const [b] = await joinMany(room, 3, { vars: SHARDED }); // shard 1
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 2
    const bystander = await joinRoom(room, { vars: SHARDED }); // shard 2
    expect(await shardMembers(room, 3)).toEqual([3, 3, 2]);
    await member.frameCount(1);
    // Relays from shard 1 to shard 2 take a second.
    const target = await runInDurableObject(roomShard(room, 2), (instance: Room) => instance);
    const relay = Room.prototype.relay;
    vi.spyOn(Room.prototype, "relay").mockImplementation(async function (this: Room, batch: RelayBatch) {
      if (this === target && batch.from === 1) await new Promise((resolve) => setTimeout(resolve, 1_000));
      return relay.call(this, batch);
    });
    const arriving = waitForMessages(bystander, 2);
    b.send("b 0");
    await new Promise((resolve) => setTimeout(resolve, 20));
    a.send("a 0");
    const [, seen] = await member.frameCount(2);
    expect(seen?.data).toBe("a 0");
    await drop(member.socket);
    expect(await arriving).toEqual(["a 0", "b 0"]);
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    await back.frameCount(2);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    expect(back.messages()).toEqual(["b 0"]);
  });
});

describe("a room that emptied", () => {
  it("still finds, after its directory was evicted, the messages of an object that left", async () => {
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 2, { vars: SHARDED }); // shard 0
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 0
    await member.frameCount(1);
    sender.send("m 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    const filler = await joinRoom(room, { vars: SHARDED }); // shard 0 full
    const [x, other] = await joinMany(room, 2, { vars: SHARDED }); // shard 1
    await say(x, other, ...series("x", 3));
    for (const socket of [sender, witness, filler, x, other]) await drop(socket);
    await vi.waitFor(async () => expect(await roomInfo(room)).toMatchObject({ connections: 0, shards: 1 }), {
      timeout: 5_000,
      interval: 100,
    });
    await evictDurableObject(roomShard(room, 0));
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    await back.frameCount(4);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 3 });
    expect(back.messages()).toEqual(series("x", 3));
  });
});

describe("the position GET …/history gives for an empty room", () => {
  it("resumed once the window dropped messages sent after it, is recovered:false", async () => {
    const vars = { ROOM_HISTORY_MESSAGES: "3" };
    const room = freshRoom();
    const empty = (await (await fetchWithVars(`/rooms/${room}/history`, vars)).json()) as { position: string };
    const [sender, witness] = await joinMany(room, 2, { vars });
    await say(sender, witness, ...series("d", 5));
    const back = await joinPositioned(room, `since=${empty.position}`, vars);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0 });
  });

  it("resumed within the window, gets every message sent after it", async () => {
    const room = freshRoom();
    const empty = (await (await fetchWithVars(`/rooms/${room}/history`, {})).json()) as { position: string };
    const [sender, witness] = await joinMany(room, 2);
    await say(sender, witness, ...series("d", 2));
    const back = await joinPositioned(room, `since=${empty.position}`);
    await back.frameCount(3);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: 2 });
    expect(back.messages()).toEqual(series("d", 2));
  });
});

describe("history turned off and on while a member is away", () => {
  it("its resume is recovered:false: what was said while history was off is in no history", async () => {
    const on = {};
    const off = { ROOM_HISTORY_MESSAGES: "0" };
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 2);
    const member = await joinPositioned(room, "history=0", on);
    sender.send("m 1");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    await joinRoom(room, { vars: off }); // the object takes the new config with the join
    await say(sender, witness, "said while off");
    await joinRoom(room, { vars: on });
    await say(sender, witness, "m 3");
    const back = await joinPositioned(room, `since=${seen?.position}`, on);
    const [joined] = await back.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0 });
  });
});
