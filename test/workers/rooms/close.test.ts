import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ROOM_FULL_REASON } from "../../../src/rooms/shards/placement";
import { accept, waitForClose, waitForMessage, waitForMessages } from "../helpers";
import { freshRoom, joinMany, joinRoom, roomConnections } from "./helpers";

describe("closing a room socket", () => {
  it("answers a member's close with the same code and reason", async () => {
    const alice = await joinRoom(freshRoom());
    const closed = waitForClose(alice);
    alice.close(4000, "bye");
    const event = await closed;
    expect(event.code).toBe(4000);
    expect(event.reason).toBe("bye");
    expect(event.wasClean).toBe(true);
  });

  it("answers a close without a code with 1000", async () => {
    const alice = await joinRoom(freshRoom());
    const closed = waitForClose(alice);
    alice.close();
    const event = await closed;
    expect(event.code).toBe(1000);
    expect(event.reason).toBe("");
  });

  it("keeps the other members connected and delivering when one leaves", async () => {
    const room = freshRoom();
    const [alice, bob, carol] = await joinMany(room, 3);
    const closed = waitForClose(alice);
    alice.close(1001, "going away");
    expect((await closed).code).toBe(1001);
    const atCarol = waitForMessage(carol);
    bob.send("still here");
    expect(await atCarol).toBe("still here");
    expect(await roomConnections(room)).toBe(2);
  });
});

describe("room limits", () => {
  it("closes only the sender of a message over MAX_MESSAGE_BYTES, with 1009 and a reason", async () => {
    const room = freshRoom();
    const vars = { MAX_MESSAGE_BYTES: "16" };
    const [alice, bob, carol] = await joinMany(room, 3, { vars });
    const aliceClosed = waitForClose(alice);
    const atBob = waitForMessage(bob);
    const atCarol = waitForMessages(carol, 2);
    alice.send("a".repeat(16));
    alice.send(new Uint8Array(17));
    expect(await atBob).toBe("a".repeat(16));
    const event = await aliceClosed;
    expect(event.code).toBe(1009);
    expect(event.reason).toBe("message of 17 bytes exceeds the 16-byte limit");

    bob.send("still open");
    expect(await atCarol).toEqual(["a".repeat(16), "still open"]);
    expect(await roomConnections(room)).toBe(2);
  });

  it("counts a text message's size in UTF-8 bytes", async () => {
    const room = freshRoom();
    const vars = { MAX_MESSAGE_BYTES: "16" };
    const [alice] = await joinMany(room, 2, { vars });
    const closed = waitForClose(alice);
    alice.send("é".repeat(9)); // 9 characters, 18 bytes
    const event = await closed;
    expect(event.code).toBe(1009);
    expect(event.reason).toBe("message of 18 bytes exceeds the 16-byte limit");
  });

  it("accepts a join over ROOM_MAX_CONNECTIONS, then closes it with 1013 'room full'", async () => {
    const room = freshRoom();
    const vars = { ROOM_MAX_CONNECTIONS: "2" };
    const [alice, bob] = await joinMany(room, 2, { vars });
    const carol = await joinRoom(room, { vars });
    const event = await waitForClose(carol);
    expect(event.code).toBe(1013);
    expect(event.reason).toBe(ROOM_FULL_REASON);

    expect(await roomConnections(room)).toBe(2);
    const atBob = waitForMessage(bob);
    alice.send("the full room still works");
    expect(await atBob).toBe("the full room still works");
  });

  it("lets a new member in once a place is free again", async () => {
    const room = freshRoom();
    const vars = { ROOM_MAX_CONNECTIONS: "1" };
    const alice = await joinRoom(room, { vars });
    const closed = waitForClose(alice);
    alice.close(1000, "bye");
    await closed;
    const bob = await joinRoom(room, { vars });
    expect(bob.readyState).toBe(WebSocket.OPEN);
    expect(await roomConnections(room)).toBe(1);
  });

  it("closes a member over MAX_MESSAGES_PER_SECOND with 1008; what it sent within the limit was delivered", async () => {
    const room = freshRoom();
    const vars = { MAX_MESSAGES_PER_SECOND: "5" };
    const [alice, bob] = await joinMany(room, 2, { vars });
    const closed = waitForClose(alice);
    const atBob = waitForMessages(bob, 5);
    for (let i = 0; i < 50; i++) alice.send(`burst ${i}`);
    expect(await atBob).toEqual(["burst 0", "burst 1", "burst 2", "burst 3", "burst 4"]);
    const event = await closed;
    expect(event.code).toBe(1008);
    expect(event.reason).toBe("rate limit: over 5 messages per second");
    expect(bob.readyState).toBe(WebSocket.OPEN);
  });

  it("answers a join the room cannot set up with 101, then closes it with 1011 and a reason", async () => {
    // Straight to the object, without the ticket the Worker always attaches.
    const stub = env.ROOMS.get(env.ROOMS.idFromName(freshRoom()));
    const socket = accept(await stub.fetch("https://room.internal/join", { headers: { Upgrade: "websocket" } }));
    const event = await waitForClose(socket);
    expect(event.code).toBe(1011);
    expect(event.reason).toBe("could not join the room");
  });
});
