/**
 * Messages too big for one read between objects (a value is capped at 32 MiB; text with a
 * character past U+00FF crosses as UTF-16): whatever the room took live is replayed on
 * resume and served by `GET …/history`, and a read fetches only the messages its answer has.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { HEADER_LENGTH_BYTES } from "../../../../src/rooms/history/envelope";
import { MAX_GET_PAGE_BYTES } from "../../../../src/rooms/history/page";
import { Room } from "../../../../src/rooms/room";
import { accept, fetchWithVars, payload, upgradeHeaders, waitForMessages } from "../../helpers";
import { freshRoom, joinRoom, shardMembers } from "../helpers";
import { drop, joinPositioned } from "./positioned";

const MiB = 1024 * 1024;
/** Two members an object: the first two joins are shard 0, the next two shard 1. */
const SHARDED = { ROOM_SHARD_CONNECTIONS: "2" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** A positioned join that keeps its frames raw (a 32 MiB frame as numbers would not fit in memory). */
async function joinRaw(room: string, query: string, vars: Partial<Env>) {
  const socket = accept(await fetchWithVars(`/rooms/${room}?${query}`, vars, { headers: upgradeHeaders() }));
  const frames = waitForMessages(socket, 2);
  const [joined, message] = await frames;
  socket.close(1000, "test over");
  return { joined: typeof joined === "string" ? JSON.parse(joined) : joined, message };
}

/** A binary envelope's message bytes. */
function messageOf(frame: unknown): Uint8Array {
  if (!(frame instanceof ArrayBuffer)) throw new Error(`expected a binary envelope, got ${typeof frame}`);
  const length = new DataView(frame).getUint32(0);
  return new Uint8Array(frame, HEADER_LENGTH_BYTES + length);
}

async function digest(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16)).join("");
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/**
 * A member M of shard 0 whose position is taken, then away while a member of shard 1 sends
 * `message`; returns the room and M's position.
 */
async function sentWhileAway(message: string | ArrayBuffer) {
  const room = freshRoom();
  await joinRoom(room, { vars: SHARDED });
  const member = await joinPositioned(room, "history=0", SHARDED);
  const [joined] = await member.frameCount(1);
  const [sender, witness] = [await joinRoom(room, { vars: SHARDED }), await joinRoom(room, { vars: SHARDED })];
  expect(await shardMembers(room, 2)).toEqual([2, 2]);
  await drop(member.socket);
  const arriving = waitForMessages(witness, 1);
  sender.send(message);
  await arriving;
  return { room, since: joined?.position ?? "" };
}

describe("a message as large as the room takes, kept by another object", () => {
  it("a 32 MiB binary is replayed byte for byte on resume, and served by GET …/history?limit=1", async () => {
    const bytes = payload(32 * MiB, 7);
    const { room, since } = await sentWhileAway(bytes.slice().buffer);
    const back = await joinRaw(room, `since=${since}`, SHARDED);
    expect(back.joined).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    expect(await digest(messageOf(back.message))).toBe(await digest(bytes));

    const response = await fetchWithVars(`/rooms/${room}/history?limit=1`, SHARDED);
    expect(response.status).toBe(200);
    const page: { messages: { data: string; binary?: boolean }[] } = await response.json();
    expect(page.messages).toHaveLength(1);
    expect(page.messages[0]?.binary).toBe(true);
    expect(await digest(base64Bytes(page.messages[0]?.data ?? ""))).toBe(await digest(bytes));
  }, 60_000);

  it("17 MiB of text with one € (35.6 MB as UTF-16) is replayed on resume and served by GET", async () => {
    const text = `€${"a".repeat(17 * MiB)}`;
    const { room, since } = await sentWhileAway(text);
    const back = await joinRaw(room, `since=${since}`, SHARDED);
    expect(back.joined).toMatchObject({ type: "joined", recovered: true, replayed: 1 });
    if (typeof back.message !== "string") throw new Error("expected a text envelope");
    const envelope: { data: string } = JSON.parse(back.message);
    expect(envelope.data.length).toBe(text.length);
    expect(envelope.data === text).toBe(true);

    const response = await fetchWithVars(`/rooms/${room}/history?limit=1`, SHARDED);
    expect(response.status).toBe(200);
    const page: { messages: { data: string }[] } = await response.json();
    expect(page.messages[0]?.data === text).toBe(true);
  }, 60_000);
});

describe("GET /rooms/:name/history of an object keeping 4 × 7 MiB", () => {
  it("answers at the default limit with pages bounded by bytes, and pages on to every message", async () => {
    const room = freshRoom();
    const [sender, witness] = [await joinRoom(room), await joinRoom(room)];
    const sent = [1, 2, 3, 4].map((seed) => payload(7 * MiB, seed));
    const arriving = waitForMessages(witness, 4);
    for (const bytes of sent) sender.send(bytes.slice().buffer);
    await arriving;
    const got: string[] = [];
    let since = "";
    for (let pages = 0; got.length < 4 && pages < 4; pages++) {
      const response = await fetchWithVars(`/rooms/${room}/history${since}`, {});
      expect(response.status).toBe(200);
      const page: { messages: { data: string }[]; position: string } = await response.json();
      // At most MAX_GET_PAGE_BYTES of messages a page: two of 7 MiB.
      expect(page.messages).toHaveLength(Math.floor(MAX_GET_PAGE_BYTES / (7 * MiB)));
      for (const message of page.messages) got.push(await digest(base64Bytes(message.data)));
      since = `?since=${page.position}`;
    }
    expect(got).toEqual(await Promise.all(sent.map((bytes) => digest(bytes))));
  }, 60_000);
});

describe("GET /rooms/:name/history?limit=1 of a room whose other object keeps 4 × 7 MiB", () => {
  it("reads that object once and fetches only the one message it answers with", async () => {
    const room = freshRoom();
    await joinRoom(room, { vars: SHARDED });
    await joinRoom(room, { vars: SHARDED });
    const [sender, witness] = [await joinRoom(room, { vars: SHARDED }), await joinRoom(room, { vars: SHARDED })];
    const arriving = waitForMessages(witness, 4);
    for (const seed of [1, 2, 3, 4]) sender.send(payload(7 * MiB, seed));
    await arriving;
    const reads = vi.spyOn(Room.prototype, "historyRead");
    const bodies = vi.spyOn(Room.prototype, "historyBody");
    const response = await fetchWithVars(`/rooms/${room}/history?limit=1`, SHARDED);
    expect(response.status).toBe(200);
    const page: { messages: { data: string }[] } = await response.json();
    expect(await digest(base64Bytes(page.messages[0]?.data ?? ""))).toBe(await digest(payload(7 * MiB, 1)));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(bodies).toHaveBeenCalledTimes(1);
  }, 60_000);
});

describe("GET /rooms/:name/history?limit=1 of a room whose other object keeps 300 messages", () => {
  it("asks that object for one message, in one read", async () => {
    const room = freshRoom();
    await joinRoom(room, { vars: SHARDED });
    await joinRoom(room, { vars: SHARDED });
    // 300 at once: past the default rate of 100 a second.
    const unlimited = { ...SHARDED, MAX_MESSAGES_PER_SECOND: "0" };
    const [sender, witness] = [await joinRoom(room, { vars: unlimited }), await joinRoom(room, { vars: SHARDED })];
    const arriving = waitForMessages(witness, 300);
    // 40 KB of text each: 12 MB in all, over one page of a read.
    for (let i = 0; i < 300; i++) sender.send(`${i} ${"x".repeat(40_000)}`);
    await arriving;
    const reads = vi.spyOn(Room.prototype, "historyRead");
    const page: { messages: { data: string }[] } = await (
      await fetchWithVars(`/rooms/${room}/history?limit=1`, SHARDED)
    ).json();
    expect(page.messages.map((m) => m.data.split(" ")[0])).toEqual(["0"]);
    expect(reads).toHaveBeenCalledTimes(1);
    const answer = await reads.mock.results[0]?.value;
    expect(answer.entries).toHaveLength(1);
  }, 60_000);
});

describe("a resume of many large messages from another object", () => {
  it("fetches them one at a time, each as its turn to be sent comes", async () => {
    const room = freshRoom();
    await joinRoom(room, { vars: SHARDED });
    const member = await joinPositioned(room, "history=0", SHARDED);
    const [joined] = await member.frameCount(1);
    const [sender, witness] = [await joinRoom(room, { vars: SHARDED }), await joinRoom(room, { vars: SHARDED })];
    await drop(member.socket);
    const sent = [1, 2, 3, 4].map((seed) => payload(7 * MiB, seed));
    const arriving = waitForMessages(witness, 4);
    for (const bytes of sent) sender.send(bytes.slice().buffer);
    await arriving;
    let inFlight = 0;
    let most = 0;
    const body = Room.prototype.historyBody;
    vi.spyOn(Room.prototype, "historyBody").mockImplementation(function (this: Room, epoch, offset) {
      most = Math.max(most, ++inFlight);
      const done = () => void inFlight--;
      return body.call(this, epoch, offset).pipeThrough(new TransformStream({ flush: done }));
    });
    const socket = accept(
      await fetchWithVars(`/rooms/${room}?since=${joined?.position}`, SHARDED, { headers: upgradeHeaders() }),
    );
    const [, ...frames] = await waitForMessages(socket, 5);
    socket.close(1000, "test over");
    const got = await Promise.all(frames.map((frame) => digest(messageOf(frame))));
    expect(got).toEqual(await Promise.all(sent.map((bytes) => digest(bytes))));
    expect(most).toBe(1);
  }, 60_000);
});
