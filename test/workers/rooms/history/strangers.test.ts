/**
 * A forged position cannot make a join or `GET …/history` reach objects the room does
 * not have: origins unknown to the room's directory are never read, make the answer
 * `recovered: false`, and are not carried into any position given back.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Room } from "../../../../src/rooms/room";
import { fetchWithVars, waitForMessages } from "../../helpers";
import { freshRoom, joinMany, roomShard } from "../helpers";
import { joinPositioned } from "./positioned";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The origins a position names (the opaque text is base64url of `[time, [[origin, epoch, offset], …]]`). */
function originsOf(position: string | undefined): number[] {
  const [, marks] = JSON.parse(atob((position ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as [number, [number][]];
  return marks.map(([origin]) => origin);
}

/** A room over two objects with a message from each; returns the room and a real mark's epoch. */
async function twoObjects() {
  const room = freshRoom();
  const [a, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
  const [b] = await joinMany(room, 1, { vars: SHARDED }); // shard 1
  const arriving = waitForMessages(witness, 2);
  a.send("a 0");
  b.send("b 0");
  await arriving;
  const page = (await (await fetchWithVars(`/rooms/${room}/history`, SHARDED)).json()) as { position: string };
  const [, marks] = JSON.parse(atob(page.position.replace(/-/g, "+").replace(/_/g, "/"))) as [number, unknown[][]];
  const own = await Promise.all([0, 1].map((index) => runInDurableObject(roomShard(room, index), (r: Room) => r)));
  return { room, marks, own };
}

/** A `since` with the room's real marks and 500 origins it never had. */
function forged(marks: unknown[][]): string {
  const strangers = Array.from({ length: 500 }, (_, i) => [1000 + i, "00000000", 0]);
  return btoa(JSON.stringify([Date.now(), [...marks, ...strangers]]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Records every object a `historyRead` call reaches. */
function objectsRead(): Set<Room> {
  const reached = new Set<Room>();
  const read = Room.prototype.historyRead;
  vi.spyOn(Room.prototype, "historyRead").mockImplementation(function (this: Room, query) {
    reached.add(this);
    return read.call(this, query);
  });
  return reached;
}

describe("a position naming 500 objects the room never had", () => {
  it("joining with it reaches none but the room's own objects, is recovered:false, and is not carried on", async () => {
    const { room, marks, own } = await twoObjects();
    const reached = objectsRead();
    const member = await joinPositioned(room, `since=${forged(marks)}`, SHARDED);
    const [joined] = await member.frameCount(1);
    expect(joined).toMatchObject({ type: "joined", recovered: false, replayed: 0 });
    expect([...reached].every((object) => own.includes(object))).toBe(true);
    expect(originsOf(joined?.position).every((origin) => origin < 2)).toBe(true);
    expect(originsOf(joined?.start).every((origin) => origin < 2)).toBe(true);
  });

  it("GET …/history with it reaches none but the room's own objects and answers from where history starts", async () => {
    const { room, marks, own } = await twoObjects();
    const reached = objectsRead();
    const response = await fetchWithVars(`/rooms/${room}/history?since=${forged(marks)}`, SHARDED);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { messages: { data: string }[]; position: string; recovered: boolean };
    expect(page.recovered).toBe(false);
    expect(page.messages.map((message) => message.data).sort()).toEqual(["a 0", "b 0"]);
    expect([...reached].every((object) => own.includes(object))).toBe(true);
    expect(originsOf(page.position)).toEqual([0, 1]);
  });
});
