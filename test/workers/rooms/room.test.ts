import { describe, expect, it } from "vitest";
import { JOIN_TICKET_HEADER } from "../../../src/rooms/join-ticket";
import { INVALID_ECHO_FLAG, INVALID_ROOM_NAME } from "../../../src/rooms/name";
import {
  bytesOf,
  fetchWithVars,
  fetchWorker,
  UNLIMITED_MESSAGES,
  upgradeHeaders,
  waitForMessage,
  waitForMessages,
} from "../helpers";
import { freshRoom, joinMany, joinResponse, joinRoom, roomConnections } from "./helpers";

describe("a room", () => {
  it("delivers a member's message to every other member", async () => {
    const room = freshRoom();
    const [alice, bob, carol] = await joinMany(room, 3);
    const atBob = waitForMessage(bob);
    const atCarol = waitForMessage(carol);
    alice.send("hello room");
    expect(await atBob).toBe("hello room");
    expect(await atCarol).toBe("hello room");
  });

  it("does not send a member's message back to it", async () => {
    const room = freshRoom();
    const [alice, bob] = await joinMany(room, 2);
    const atAlice = waitForMessage(alice);
    const atBob = waitForMessage(bob);
    alice.send("from alice");
    expect(await atBob).toBe("from alice");
    // Bob answers only after the room relayed Alice's message, so had the room sent
    // it back to Alice too, she would have got it before this answer.
    bob.send("from bob");
    expect(await atAlice).toBe("from bob");
  });

  it("sends a member's own messages back when it joined with ?echo=1", async () => {
    const room = freshRoom();
    const alice = await joinRoom(room, { echo: true });
    const bob = await joinRoom(room);
    const atAlice = waitForMessages(alice, 2);
    const atBob = waitForMessage(bob);
    alice.send("mine");
    expect(await atBob).toBe("mine");
    bob.send("yours");
    expect(await atAlice).toEqual(["mine", "yours"]);
  });

  it("relays binary as the same bytes, as binary, and empty messages as empty messages of their type", async () => {
    const room = freshRoom();
    const [alice, bob] = await joinMany(room, 2);
    const atBob = waitForMessages(bob, 3);
    alice.send(new Uint8Array([0, 1, 127, 128, 255]));
    alice.send(new Uint8Array(0));
    alice.send("");
    const [binary, emptyBinary, emptyText] = await atBob;
    expect(binary).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(binary)).toEqual([0, 1, 127, 128, 255]);
    expect(bytesOf(emptyBinary)).toEqual([]);
    expect(emptyText).toBe("");
  });

  it("keeps each sender's order over 500 pipelined messages from each of two senders", async () => {
    const room = freshRoom();
    const [alice, bob, carol] = await joinMany(room, 3, { vars: UNLIMITED_MESSAGES });
    const count = 500;
    const atAlice = waitForMessages(alice, count);
    const atBob = waitForMessages(bob, count);
    const atCarol = waitForMessages(carol, 2 * count);
    for (let i = 0; i < count; i++) {
      alice.send(`alice ${i}`);
      bob.send(new Uint32Array([i]));
    }
    const aliceSent = Array.from({ length: count }, (_, i) => `alice ${i}`);
    const bobSent = Array.from({ length: count }, (_, i) => i);
    const numbers = (messages: (string | ArrayBuffer)[]) =>
      messages.filter((m) => m instanceof ArrayBuffer).map((m) => new Uint32Array(m)[0]);
    expect(numbers(await atAlice)).toEqual(bobSent);
    expect(await atBob).toEqual(aliceSent);
    const mixed = await atCarol;
    expect(mixed.filter((m) => typeof m === "string")).toEqual(aliceSent);
    expect(numbers(mixed)).toEqual(bobSent);
    // 2,000 deliveries: allow a slow, shared CI machine more than the default 5 s.
  }, 30_000);

  it("relays messages verbatim even when ECHO_PREFIX is set: the prefix is for the echo only", async () => {
    const room = freshRoom();
    const vars = { ECHO_PREFIX: "echo: " };
    const alice = await joinRoom(room, { vars });
    const bob = await joinRoom(room, { vars });
    const atBob = waitForMessages(bob, 2);
    alice.send("plain");
    alice.send(new Uint8Array([1, 2, 3]));
    const [text, binary] = await atBob;
    expect(text).toBe("plain");
    expect(bytesOf(binary)).toEqual([1, 2, 3]);
  });

  it("keeps rooms apart: a message in one room reaches no member of another", async () => {
    const [one, two] = [freshRoom("one"), freshRoom("two")];
    const [alice, bob] = await joinMany(one, 2);
    const [carol, dave] = await joinMany(two, 2);
    const atBob = waitForMessage(bob);
    const atCarol = waitForMessage(carol);
    alice.send("for room one");
    expect(await atBob).toBe("for room one");
    dave.send("for room two");
    expect(await atCarol).toBe("for room two");
    expect(await roomConnections(one)).toBe(2);
    expect(await roomConnections(two)).toBe(2);
  });
});

describe("GET /rooms/:name", () => {
  it("answers JSON with the room's name and live count: up on each join, down after each close", async () => {
    const room = freshRoom();
    const empty = await fetchWorker(`/rooms/${room}`);
    expect(empty.status).toBe(200);
    expect(empty.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(empty.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await empty.json()).toEqual({ name: room, connections: 0, shards: 1, history: 1000, presence: 1000 });

    const alice = await joinRoom(room);
    expect(await roomConnections(room)).toBe(1);
    const bob = await joinRoom(room);
    expect(await roomConnections(room)).toBe(2);

    const closed = new Promise((resolve) => alice.addEventListener("close", resolve));
    alice.close(1000, "bye");
    await closed;
    expect(await roomConnections(room)).toBe(1);
    bob.close(1000, "bye");
  });

  it("answers HEAD like GET, without a body", async () => {
    const response = await fetchWorker(`/rooms/${freshRoom()}`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe("");
  });

  it("refuses methods other than GET, HEAD and POST with 405 and an Allow header", async () => {
    const response = await fetchWorker(`/rooms/${freshRoom()}`, { method: "PUT" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD, POST");
    expect(await response.text()).toBe("PUT is not allowed on a room; use GET or POST\n");
  });
});

describe("joining", () => {
  const invalid = [
    ["no name at all", "/rooms"],
    ["an empty name", "/rooms/"],
    ["a name of 65 characters", `/rooms/${"a".repeat(65)}`],
    ["a space", "/rooms/a%20b"],
    ["a dot", "/rooms/a.b"],
    ["a slash", "/rooms/a/b"],
    ["a non-ASCII letter", "/rooms/caf%C3%A9"],
  ] as const;

  for (const [what, path] of invalid) {
    it(`refuses a room name with ${what} with 400 and the naming rule, upgrade or not`, async () => {
      for (const init of [{ headers: upgradeHeaders() }, {}]) {
        const response = await fetchWorker(path, init);
        expect(response.status).toBe(400);
        expect(await response.text()).toBe(`${INVALID_ROOM_NAME}\n`);
      }
    });
  }

  it("accepts a name of 64 letters, digits, _ and -", async () => {
    const name = `Az09_-${"x".repeat(58)}`;
    const response = await joinResponse(name);
    expect(response.status).toBe(101);
    response.webSocket?.accept();
    response.webSocket?.close(1000, "done");
  });

  it("refuses an echo flag other than 0 or 1 with 400", async () => {
    const response = await fetchWorker(`/rooms/${freshRoom()}?echo=yes`, { headers: upgradeHeaders() });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(`${INVALID_ECHO_FLAG}\n`);
  });

  it("applies the upgrade checks of the echo: a disallowed Origin gets 403", async () => {
    const response = await fetchWithVars(
      `/rooms/${freshRoom()}`,
      { ALLOWED_ORIGINS: "https://good.example" },
      {
        headers: upgradeHeaders({ Origin: "https://evil.example" }),
      },
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("origin https://evil.example is not allowed to connect\n");
  });

  // Called on the handler itself: a fetch through the runtime turns an upgrade into a GET before the Worker sees it.
  it("refuses an upgrade sent with POST with 405 before the room is touched", async () => {
    const response = await fetchWithVars(`/rooms/${freshRoom()}`, {}, { method: "POST", headers: upgradeHeaders() });
    expect(response.status).toBe(405);
    expect(response.webSocket).toBeNull();
    expect(response.headers.get("Allow")).toBe("GET");
  });

  it("ignores a join ticket header sent by the client: only the Worker writes tickets", async () => {
    const room = freshRoom();
    const forged = JSON.stringify({
      echo: true,
      protocol: null,
      maxConnections: 1,
      maxMessageBytes: 1,
      maxMessagesPerSecond: 0,
    });
    const alice = await joinRoom(room, { headers: { [JOIN_TICKET_HEADER]: forged } });
    const bob = await joinRoom(room);
    const atAlice = waitForMessage(alice);
    const atBob = waitForMessage(bob);
    alice.send("longer than one byte, and not echoed");
    expect(await atBob).toBe("longer than one byte, and not echoed");
    bob.send("reply");
    expect(await atAlice).toBe("reply");
  });

  it("answers with the subprotocol chosen from the client's offer", async () => {
    const room = freshRoom();
    const response = await joinResponse(room, {
      vars: { SUBPROTOCOLS: "chat.v1" },
      headers: { "Sec-WebSocket-Protocol": "other, chat.v1" },
    });
    expect(response.status).toBe(101);
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("chat.v1");
    response.webSocket?.accept();
    response.webSocket?.close(1000, "done");
  });
});
