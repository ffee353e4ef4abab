/**
 * No duplicates over several objects (three members per object): a resend that reaches
 * another object than the first send, and one after every object of the room restarted,
 * is acked with the first position and delivered once. The object it reaches learns the
 * sender's ids from the resume's own reads: no call for a first send.
 */
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshRoom, joinRoom, roomShard, shardMembers } from "../helpers";
import { drop, type Frame, joinPositioned } from "../history/positioned";
import { ackCount, joinAcked, sendText } from "./acked";

const SHARDED = { ROOM_SHARD_CONNECTIONS: "3" };

function ids(frames: readonly Frame[]): (string | undefined)[] {
  return frames.filter((frame) => frame.type === "message").map((frame) => frame.id);
}

describe("a resend over several objects", () => {
  it("reaching another object than the first send is acked with the first position and delivered once", async () => {
    const room = freshRoom();
    await joinRoom(room, { vars: SHARDED });
    await joinRoom(room, { vars: SHARDED });
    const sender = await joinAcked(room, "alice", "history=0", SHARDED); // shard 0's third
    const witness = await joinPositioned(room, "history=0", SHARDED); // shard 1
    expect(await shardMembers(room, 2)).toEqual([3, 1]);
    await Promise.all([sender.frameCount(1), witness.frameCount(1)]);
    sendText(sender.socket, "m-1", "hello");
    const [first] = await ackCount(sender, 1);
    await witness.frameCount(2);
    // As if the ack was lost with the connection: the client resends from where it was.
    const since = sender.frames[0]?.position;
    await drop(sender.socket);
    await joinRoom(room, { vars: SHARDED }); // takes its place on shard 0
    const back = await joinAcked(room, "alice", `since=${since}`, SHARDED);
    expect(await shardMembers(room, 2)).toEqual([3, 2]);
    sendText(back.socket, "m-1", "hello");
    sendText(back.socket, "m-2", "after");
    const acks = await ackCount(back, 2);
    expect(acks[0]).toEqual(first);
    expect(acks[1]).toMatchObject({ id: "m-2" });
    await witness.frameCount(3);
    expect(ids(witness.frames)).toEqual(["m-1", "m-2"]);
  });

  it("after every object of the room restarted is acked with the first position and delivered once", async () => {
    const room = freshRoom();
    const sender = await joinAcked(room, "alice", "history=0", SHARDED); // shard 0
    for (let i = 0; i < 3; i++) await joinRoom(room, { vars: SHARDED }); // [3,1]
    await sender.frameCount(1);
    sendText(sender.socket, "m-1", "hello");
    const [first] = await ackCount(sender, 1);
    const since = sender.frames[0]?.position;
    for (const index of [0, 1]) await evictDurableObject(roomShard(room, index), { webSockets: "close" });

    for (let i = 0; i < 3; i++) await joinRoom(room, { vars: SHARDED }); // shard 0 full again
    const witness = await joinPositioned(room, `since=${since}`, SHARDED);
    const back = await joinAcked(room, "alice", `since=${since}`, SHARDED);
    expect(await shardMembers(room, 2)).toEqual([3, 2]);
    sendText(back.socket, "m-1", "hello");
    sendText(back.socket, "m-2", "after");
    const acks = await ackCount(back, 2);
    expect(acks[0]).toEqual(first);
    await witness.frameCount(3);
    expect(ids(witness.frames)).toEqual(["m-1", "m-2"]);
    // And to the object that stored it, from its own table.
    const again = await joinAcked(room, "alice", `since=${since}`, SHARDED);
    await again.frameCount(1);
    sendText(again.socket, "m-1", "hello");
    const [ack] = await ackCount(again, 1);
    expect(ack).toEqual(first);
  });
});
