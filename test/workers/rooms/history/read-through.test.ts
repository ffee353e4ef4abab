/**
 * Catch-ups over more than one read of an origin (a read stops at 8 MiB): the member
 * gets every message once, and its marks and floors follow what it was really sent.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resume } from "../../../../src/rooms/history/catch-up";
import type { HistoryQuery, HistorySources } from "../../../../src/rooms/history/sources";
import type { Entry } from "../../../../src/rooms/history/store";
import { Room } from "../../../../src/rooms/room";
import { EVENTUALLY, waitForMessages } from "../../helpers";
import { freshRoom, joinMany, joinRoom, roomShard, shardMembers } from "../helpers";
import { drop, joinPositioned } from "./positioned";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };
const MIB = 1024 * 1024;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A text message of `bytes` that starts with `name`. */
const big = (name: string, bytes = 2 * MIB) => name.padEnd(bytes, ".");
/** Messages a read carries inline (a larger one is fetched alone when sent), and how many make two reads. */
const INLINE = 64_000;
const BIG_COUNT = 70;

/** Sends each text from `sender` and waits until `witness` (another member) has them all. */
async function say(sender: WebSocket, witness: WebSocket, ...texts: string[]): Promise<void> {
  const arriving = waitForMessages(witness, texts.length);
  for (const text of texts) sender.send(text);
  await arriving;
}

const names = (messages: readonly unknown[]) => messages.map((data) => String(data).replace(/\.+$/, ""));

describe("?history=N past 8 MiB", () => {
  it("gives all of the last N and then live ones, none skipped", async () => {
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 2);
    await say(sender, witness, ...Array.from({ length: 6 }, (_, i) => big(`big ${i}`)));
    const member = await joinPositioned(room, "history=6");
    const [joined] = await member.frameCount(7);
    expect(joined).toMatchObject({ type: "joined", recovered: true, replayed: 6 });
    sender.send("live");
    await member.frameCount(8);
    expect(names(member.messages())).toEqual(["big 0", "big 1", "big 2", "big 3", "big 4", "big 5", "live"]);
  }, 30_000);
});

describe("a resume over two reads of one origin while it keeps sending", () => {
  it("gets each message once: floors follow the last message really read", async () => {
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const member = await joinPositioned(room, "history=0", SHARDED); // shard 1
    const bystander = await joinRoom(room, { vars: SHARDED }); // shard 1
    await member.frameCount(1);
    sender.send("m 0");
    const [, seen] = await member.frameCount(2);
    await drop(member.socket);
    // Seventy of 64 KB (inline in a read, counted as UTF-16: 128 KB each): the first read stops
    // after 65 (8 MiB).
    await say(sender, witness, ...Array.from({ length: BIG_COUNT }, (_, i) => big(`big ${i}`, INLINE)));
    // The resume's second read of shard 0 waits until shard 0 has sent three more.
    const origin = await runInDurableObject(roomShard(room, 0), (instance: Room) => instance);
    let reads = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const read = Room.prototype.historyRead;
    vi.spyOn(Room.prototype, "historyRead").mockImplementation(async function (this: Room, query: HistoryQuery) {
      if (this === origin && ++reads === 2) await gate;
      return read.call(this, query);
    });
    const back = await joinPositioned(room, `since=${seen?.position}`, SHARDED);
    // Polled from here: a promise the object settled would carry the test on in the object's context.
    await vi.waitFor(() => expect(reads).toBe(2), EVENTUALLY);
    await say(sender, bystander, "small 0", "small 1", "small 2");
    open();
    await back.frameCount(BIG_COUNT + 4);
    sender.send("live");
    await back.frameCount(BIG_COUNT + 5);
    expect(await shardMembers(room, 2)).toEqual([3, 2]);
    expect(back.frames[0]).toMatchObject({ type: "joined", recovered: true, replayed: BIG_COUNT + 3 });
    expect(names(back.messages())).toEqual([
      ...Array.from({ length: BIG_COUNT }, (_, i) => `big ${i}`),
      "small 0",
      "small 1",
      "small 2",
      "live",
    ]);
  }, 30_000);
});

/** One origin (0) whose history ends at offset 6; `pages` answers each read after an offset. */
function oneOrigin(pages: (after: number) => number[]): HistorySources {
  const entry = (offset: number): Entry => ({
    origin: 0,
    epoch: "0a1b2c3d",
    offset,
    time: offset,
    sender: "s",
    via: null,
    data: `m ${offset}`,
  });
  return {
    origins: async () => [0],
    read: async (_origin, query) => ({
      extent: { epoch: "0a1b2c3d", first: 1, end: 6 },
      entries: pages("after" in query ? query.after : 0).map(entry),
    }),
  };
}

describe("a resume whose origin drops messages between two of its reads", () => {
  it("is recovered:false rather than replaying around the hole", async () => {
    // The first read gives 1 and 2; by the second, 3 was dropped.
    const sources = oneOrigin((after) => (after === 0 ? [1, 2] : [4, 5, 6]));
    const catchUp = await resume({ time: 0, marks: new Map() }, sources, 10);
    expect(catchUp.recovered).toBe(false);
    expect(catchUp.replay).toEqual([]);
  });

  it("is recovered when a read comes back empty because its reader asked for no more", async () => {
    const sources = oneOrigin((after) => (after === 0 ? [1, 2] : []));
    const catchUp = await resume({ time: 0, marks: new Map() }, sources, 10);
    expect(catchUp.recovered).toBe(true);
    expect(catchUp.replay.map(({ entry }) => entry.data)).toEqual(["m 1", "m 2"]);
    // Live messages after 2 are not skipped: the floor is what was sent.
    expect(catchUp.floors.get(0)).toEqual({ epoch: "0a1b2c3d", offset: 2 });
  });
});
