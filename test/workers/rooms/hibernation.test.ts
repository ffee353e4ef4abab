import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Room } from "../../../src/rooms/room";
import { KEEPALIVE_REQUEST, KEEPALIVE_RESPONSE } from "../../../src/rooms/room-object";
import { waitForClose, waitForMessage, waitForMessages } from "../helpers";
import { freshRoom, joinMany, joinRoom, roomConnections } from "./helpers";

function roomStub(name: string): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(name));
}

describe("keep-alives", () => {
  it("answers a text 'ping' with 'pong' from the runtime, without relaying the ping", async () => {
    const room = freshRoom();
    const [alice, bob] = await joinMany(room, 2);
    const atAlice = waitForMessage(alice);
    const atBob = waitForMessage(bob);
    alice.send(KEEPALIVE_REQUEST);
    expect(await atAlice).toBe(KEEPALIVE_RESPONSE);
    // Sent after the pong, so a relayed ping would have reached Bob first.
    alice.send("after the ping");
    expect(await atBob).toBe("after the ping");

    // The runtime stamps a socket it answered itself: the room's code never saw the ping.
    const stamped = await runInDurableObject(roomStub(room), (_room: Room, state) =>
      state.getWebSockets().filter((socket) => state.getWebSocketAutoResponseTimestamp(socket) !== null),
    );
    expect(stamped).toHaveLength(1);
  });

  it("relays a ping that is not exactly the text 'ping' like any other message", async () => {
    const room = freshRoom();
    const [alice, bob] = await joinMany(room, 2);
    const atBob = waitForMessages(bob, 2);
    alice.send("PING");
    alice.send(new TextEncoder().encode(KEEPALIVE_REQUEST));
    const [upper, binary] = await atBob;
    expect(upper).toBe("PING");
    expect(binary).toBeInstanceOf(ArrayBuffer);
  });
});

describe("hibernation", () => {
  it("keeps delivering after the room is evicted, each member's echo flag intact", async () => {
    const room = freshRoom();
    const alice = await joinRoom(room, { echo: true });
    const bob = await joinRoom(room);
    await evictDurableObject(roomStub(room));

    const atAlice = waitForMessages(alice, 2);
    const atBob = waitForMessage(bob);
    alice.send("after eviction");
    expect(await atBob).toBe("after eviction");
    bob.send("bob after eviction");
    // Alice joined with ?echo=1: her own message first. Bob did not: he got only Alice's.
    expect(await atAlice).toEqual(["after eviction", "bob after eviction"]);
    expect(await roomConnections(room)).toBe(2);
  });

  it("answers 'ping' while evicted", async () => {
    const room = freshRoom();
    const alice = await joinRoom(room);
    await evictDurableObject(roomStub(room));
    const atAlice = waitForMessage(alice);
    alice.send(KEEPALIVE_REQUEST);
    expect(await atAlice).toBe(KEEPALIVE_RESPONSE);
  });

  it("still answers a close with the member's code and reason after eviction", async () => {
    const room = freshRoom();
    const alice = await joinRoom(room);
    await evictDurableObject(roomStub(room));
    const closed = waitForClose(alice);
    alice.close(4001, "after eviction");
    const event = await closed;
    expect(event.code).toBe(4001);
    expect(event.reason).toBe("after eviction");
    expect(await roomConnections(room)).toBe(0);
  });

  it("forgets the rate-limit buckets on eviction: a member starts a fresh burst (the documented trade-off)", async () => {
    const room = freshRoom();
    const vars = { MAX_MESSAGES_PER_SECOND: "3" };
    const [alice, bob] = await joinMany(room, 2, { vars });
    const before = waitForMessages(bob, 3);
    for (const text of ["1", "2", "3"]) alice.send(text);
    expect(await before).toEqual(["1", "2", "3"]);
    await evictDurableObject(roomStub(room));
    // Without the eviction, the bucket would still be nearly empty and the fourth message would close Alice with 1008.
    const after = waitForMessages(bob, 3);
    for (const text of ["4", "5", "6"]) alice.send(text);
    expect(await after).toEqual(["4", "5", "6"]);
    expect(alice.readyState).toBe(WebSocket.OPEN);
  });
});
