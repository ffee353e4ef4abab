/**
 * What an object sends its positioned members once they are caught up: one envelope
 * per message for all of them, also while their catch-up left them ahead of the object
 * for an origin that fell quiet.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Members } from "../../../../src/rooms/members";
import type { Room } from "../../../../src/rooms/room";
import { waitForMessages } from "../../helpers";
import { freshRoom, joinMany, roomShard, shardMembers } from "../helpers";
import { joinPositioned } from "./positioned";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("positioned members of an object an origin fell quiet before", () => {
  it("share one envelope per message, and their positions still name that origin", async () => {
    const room = freshRoom();
    const [sender, witness] = await joinMany(room, 3, { vars: SHARDED }); // shard 0
    const [quiet, other] = await joinMany(room, 3, { vars: SHARDED }); // shard 1
    const said = waitForMessages(other, 1);
    quiet.send("once, before shard 2 existed");
    await said;
    const members = await Promise.all([0, 1, 2].map(() => joinPositioned(room, "history=0", SHARDED))); // shard 2
    await Promise.all(members.map((member) => member.frameCount(1)));
    expect(await shardMembers(room, 3)).toEqual([3, 3, 3]);
    const shard2 = await runInDurableObject(roomShard(room, 2), (instance: Room) => Reflect.get(instance, "members"));
    const deliverTo = vi.spyOn(Members.prototype, "deliverTo");
    const arriving = waitForMessages(witness, 20);
    for (let i = 0; i < 20; i++) sender.send(`m ${i}`);
    await arriving;
    await Promise.all(members.map((member) => member.frameCount(21)));
    const sends = deliverTo.mock.contexts.filter((members) => members === shard2).length;
    expect(sends).toBe(20);
    const positions = members.map((member) => member.frames.slice(1).map((frame) => frame.position));
    expect(positions[1]).toEqual(positions[0]);
    expect(positions[2]).toEqual(positions[0]);
    const [, marks] = JSON.parse(atob((positions[0]?.[0] ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    expect(marks.map(([origin]: [number]) => origin)).toEqual([0, 1]);
  });
});
