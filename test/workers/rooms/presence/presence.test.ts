/**
 * Presence over a room of three objects (two members each): who is here with
 * `GET /rooms/:name/presence`, and for members joined with `?presence=1` a snapshot
 * after `joined`, then each user's join and leave, over all objects, in order.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ALARMS_KEY } from "../../../../src/rooms/alarms";
import { PRESENCE_NEEDS_ENVELOPES, PRESENCE_OFF } from "../../../../src/rooms/presence/request";
import type { Room } from "../../../../src/rooms/room";
import { fetchWithVars, upgradeHeaders, waitForClose } from "../../helpers";
import { TOKEN_VARS, token } from "../access/tokens";
import { freshRoom, roomShard, shardMembers } from "../helpers";
import { member, settle } from "./watch";

const SPREAD: Partial<Env> = { ROOM_SHARD_CONNECTIONS: "2", ROOM_MAX_CONNECTIONS: "100" };
const WATCH = "history=0&presence=1";

interface Listed {
  connections: number;
  users: number;
  members: { id: string; info: unknown; connections: number }[];
  truncated: boolean;
}

async function listed(room: string, vars: Partial<Env> = SPREAD, headers: HeadersInit = {}): Promise<Listed> {
  const response = await fetchWithVars(`/rooms/${room}/presence`, vars, { headers });
  expect(response.status).toBe(200);
  const body = (await response.json()) as Listed;
  return { ...body, members: [...body.members].sort((a, b) => a.id.localeCompare(b.id)) };
}

/** Brings the directory's presence check (due every PRESENCE_CHECK_MS) to now. */
async function checkDueNow(room: string): Promise<void> {
  await runInDurableObject(roomShard(room, 0), async (_: Room, state) => {
    const deadlines = state.storage.kv.get<Record<string, number>>(ALARMS_KEY) ?? {};
    expect(deadlines.presence).toBeGreaterThan(Date.now());
    state.storage.kv.put(ALARMS_KEY, { ...deadlines, presence: Date.now() - 1 });
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}

describe("GET /rooms/:name/presence", () => {
  it("lists each user once over all objects, with their connections; members without an identity are counted only", async () => {
    const room = freshRoom();
    await member(room, "client=alice", SPREAD); // shard 0
    await member(room, "client=alice", SPREAD); // shard 0
    await member(room, "client=bob", SPREAD); // shard 1
    await member(room, "", SPREAD); // shard 1
    await member(room, "client=alice", SPREAD); // shard 2
    expect(await shardMembers(room, 3)).toEqual([2, 2, 1]);
    expect(await listed(room)).toEqual({
      connections: 5,
      users: 2,
      members: [
        { id: "alice", info: null, connections: 3 },
        { id: "bob", info: null, connections: 1 },
      ],
      truncated: false,
    });
  });

  it("answers 400 with presence off (ROOM_PRESENCE_MAX=0), and refuses ?presence=1 then too", async () => {
    const room = freshRoom();
    const off = { ...SPREAD, ROOM_PRESENCE_MAX: "0" };
    const response = await fetchWithVars(`/rooms/${room}/presence`, off);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(PRESENCE_OFF);
    const join = await fetchWithVars(`/rooms/${room}?${WATCH}`, off, { headers: upgradeHeaders() });
    expect(join.status).toBe(400);
  });

  it("needs a token for the room with ROOM_AUTH=token", async () => {
    const room = freshRoom();
    const vars = { ...SPREAD, ...TOKEN_VARS };
    expect((await fetchWithVars(`/rooms/${room}/presence`, vars)).status).toBe(401);
    const other = await token({ rooms: ["elsewhere"] });
    const refused = await fetchWithVars(`/rooms/${room}/presence`, vars, {
      headers: { Authorization: `Bearer ${other}` },
    });
    expect(refused.status).toBe(403);
    const mine = await token({ rooms: [room] });
    expect((await listed(room, vars, { Authorization: `Bearer ${mine}` })).users).toBe(0);
  });
});

describe("?presence=1", () => {
  it("is refused with 400 for a verbatim member, saying it needs envelopes", async () => {
    const room = freshRoom();
    const response = await fetchWithVars(`/rooms/${room}?presence=1`, SPREAD, { headers: upgradeHeaders() });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(PRESENCE_NEEDS_ENVELOPES);
  });

  it("sends the snapshot right after joined, then joins and leaves of users over all objects, never the member's own", async () => {
    const room = freshRoom();
    const watcher = await member(room, `${WATCH}&client=w`, SPREAD); // shard 0
    expect((await watcher.next("presence")).members).toEqual([{ id: "w", info: null, connections: 1 }]);
    expect(watcher.frames.slice(0, 2).map((frame) => frame.type)).toEqual(["joined", "presence"]);

    const x1 = await member(room, "client=x", SPREAD); // shard 0
    expect((await watcher.next("join")).member).toEqual({ id: "x", info: null });
    const x2 = await member(room, "client=x", SPREAD); // shard 1: a second connection, no join
    const other = await member(room, `${WATCH}&client=y`, SPREAD); // shard 1
    const snapshot = await other.next("presence");
    expect(snapshot.users).toBe(3);
    expect([...(snapshot.members ?? [])].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "w", info: null, connections: 1 },
      { id: "x", info: null, connections: 2 },
      { id: "y", info: null, connections: 1 },
    ]);
    expect((await watcher.next("join", 2)).member).toEqual({ id: "y", info: null });

    x1.close(); // x still has a connection on shard 1: no leave
    await settle();
    x2.close();
    expect((await watcher.next("leave")).member).toEqual({ id: "x" });
    expect((await other.next("leave")).member).toEqual({ id: "x" });
    expect(watcher.presence().map((frame) => `${frame.type} ${frame.member?.id ?? ""}`)).toEqual([
      "presence ",
      "join x",
      "join y",
      "leave x",
    ]);
    expect(other.presence().map((frame) => `${frame.type} ${frame.member?.id ?? ""}`)).toEqual([
      "presence ",
      "leave x",
    ]);
  });

  it("announces the leave of users whose object restarted, at the next check", async () => {
    const room = freshRoom();
    const watcher = await member(room, `${WATCH}&client=w`, SPREAD); // shard 0
    await watcher.next("presence");
    await member(room, "client=a", SPREAD); // shard 0
    await member(room, "client=b", SPREAD); // shard 1
    await member(room, "client=c", SPREAD); // shard 1
    await member(room, "client=d", SPREAD); // shard 2
    await watcher.next("join", 4);
    await evictDurableObject(roomShard(room, 1), { webSockets: "close" });
    // Nobody closed those sockets in the room's sight: the directory's next check finds them gone.
    await checkDueNow(room);
    expect(await runDurableObjectAlarm(roomShard(room, 0))).toBe(true);
    await watcher.next("leave", 2);
    const left = watcher.frames.filter((frame) => frame.type === "leave").map((frame) => frame.member?.id);
    expect(left.sort()).toEqual(["b", "c"]);
    expect((await listed(room)).members.map((entry) => entry.id)).toEqual(["a", "d", "w"]);
  });

  it("past ROOM_PRESENCE_MAX sends one truncated snapshot and no more joins; under it again, a fresh snapshot", async () => {
    const room = freshRoom();
    const vars = { ...SPREAD, ROOM_PRESENCE_MAX: "2" };
    const watcher = await member(room, `${WATCH}&client=w`, vars);
    await watcher.next("presence");
    await member(room, "client=a", vars);
    await watcher.next("join");
    const b = await member(room, "client=b", vars);
    const truncated = await watcher.next("presence", 2);
    expect(truncated).toMatchObject({ users: 3, truncated: true });
    expect(truncated.members).toHaveLength(2);
    const c = await member(room, "client=c", vars);
    const body = await listed(room, vars);
    expect(body).toMatchObject({ connections: 4, users: 4, truncated: true });
    expect(body.members).toHaveLength(2);
    const latecomer = await member(room, `${WATCH}&client=z`, vars);
    expect(await latecomer.next("presence")).toMatchObject({ users: 5, truncated: true });
    latecomer.close();
    b.close();
    await settle();
    expect(watcher.presence().map((frame) => frame.type)).toEqual(["presence", "join", "presence"]);

    c.close(); // back to 2 users: a fresh, whole snapshot, and joins again
    const fresh = await watcher.next("presence", 3);
    expect(fresh).toMatchObject({ users: 2, truncated: false });
    expect(fresh.members?.map((entry) => entry.id).sort()).toEqual(["a", "w"]);
    await member(room, "client=d", vars);
    await watcher.next("presence", 4); // d makes 3 again: truncated
    expect(watcher.presence().map((frame) => [frame.type, frame.truncated])).toEqual([
      ["presence", false],
      ["join", undefined],
      ["presence", true],
      ["presence", false],
      ["presence", true],
    ]);
  });

  it("shows a token's info, and refuses a token whose info is not a JSON object of at most 1 KiB", async () => {
    const room = freshRoom();
    const vars = { ...SPREAD, ...TOKEN_VARS };
    const as = async (sub: string, info?: unknown) => ({ Authorization: `Bearer ${await token({ sub, info })}` });
    const watcher = await member(room, WATCH, vars, await as("ann", { name: "Ann" }));
    expect((await watcher.next("presence")).members).toEqual([{ id: "ann", info: { name: "Ann" }, connections: 1 }]);
    await member(room, "", vars, await as("ben", { name: "Ben", avatar: "b.png" }));
    expect((await watcher.next("join")).member).toEqual({ id: "ben", info: { name: "Ben", avatar: "b.png" } });
    // At the limit: 1 KiB of info still fits the member's attachment, and reaches the others.
    const large = { name: "y".repeat(1024 - '{"name":""}'.length) };
    await member(room, "", vars, await as("dee", large));
    expect((await watcher.next("join", 2)).member).toEqual({ id: "dee", info: large });
    for (const info of [["not", "an object"], { name: "x".repeat(1100) }]) {
      const refused = await member(room, "", vars, await as("cat", info));
      expect((await waitForClose(refused.socket)).code).toBe(4401);
    }
  });

  it("announces an expired token's leave when its socket is closed", async () => {
    const room = freshRoom();
    const vars = { ...SPREAD, ...TOKEN_VARS };
    const watcher = await member(room, WATCH, vars, { Authorization: `Bearer ${await token({ sub: "ann" })}` });
    await watcher.next("presence");
    const brief = await member(room, "", vars, { Authorization: `Bearer ${await token({ sub: "bo", ttl: 2 })}` });
    await watcher.next("join");
    expect((await waitForClose(brief.socket)).code).toBe(4401);
    expect((await watcher.next("leave")).member).toEqual({ id: "bo" });
  });
});
