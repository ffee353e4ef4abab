/**
 * `?presence=batch`: the same joins and leaves as `?presence=1`, in the same order, but
 * those that reach a member's object together come in one `presence_batch` frame. A
 * room where hundreds watch each other join needs it: one frame per join per watcher
 * is n² frames (docs/presence.md).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { INVALID_PRESENCE_FLAG, PRESENCE_NEEDS_ENVELOPES } from "../../../../src/rooms/presence/request";
import { Room } from "../../../../src/rooms/room";
import { EVENTUALLY, fetchWithVars, upgradeHeaders } from "../../helpers";
import { freshRoom, shardMembers } from "../helpers";
import { type Frame, type Member, member, settle } from "./watch";

const SPREAD: Partial<Env> = { ROOM_SHARD_CONNECTIONS: "2", ROOM_MAX_CONNECTIONS: "100" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The joins and leaves a watcher got, batches opened, as "join id" and "leave id". */
function changes(watcher: Member): string[] {
  return watcher.frames
    .flatMap((frame) => (frame.type === "presence_batch" ? ((frame as BatchFrame).events ?? []) : [frame]))
    .filter((frame) => frame.type === "join" || frame.type === "leave")
    .map((frame) => `${frame.type} ${frame.member?.id}`);
}

interface BatchFrame extends Frame {
  readonly events?: Frame[];
}

/** Holds every `presenceItems` call until `open()`: what the directory announces meanwhile queues up. */
function holdAnnouncements() {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const presenceItems = Room.prototype.presenceItems;
  vi.spyOn(Room.prototype, "presenceItems").mockImplementation(async function (this: Room, batch) {
    await gate;
    return presenceItems.call(this, batch);
  });
  return open;
}

describe("?presence=batch", () => {
  it("is refused with 400 for a verbatim member, and presence=2 is no flag", async () => {
    const room = freshRoom();
    const verbatim = await fetchWithVars(`/rooms/${room}?presence=batch`, {}, { headers: upgradeHeaders() });
    expect(verbatim.status).toBe(400);
    expect(await verbatim.text()).toContain(PRESENCE_NEEDS_ENVELOPES);
    const unknown = await fetchWithVars(`/rooms/${room}?history=0&presence=2`, {}, { headers: upgradeHeaders() });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain(INVALID_PRESENCE_FLAG);
  });

  it("gets the joins that came together in one frame, in the order presence=1 gets them one by one, never its own", async () => {
    const room = freshRoom();
    const events = await member(room, "history=0&presence=1&client=e0", SPREAD); // shard 0
    await member(room, "history=0&client=f0", SPREAD); // shard 0
    const batched = await member(room, "history=0&presence=batch&client=b1", SPREAD); // shard 1
    const single = await member(room, "history=0&presence=1&client=e1", SPREAD); // shard 1
    for (const watcher of [events, batched, single]) await watcher.next("presence");
    await settle();
    expect(await shardMembers(room, 2)).toEqual([2, 2]);
    const before = batched.frames.length;

    // The first join's call to shard 1 is held, so the seven after it queue for one call.
    const open = holdAnnouncements();
    const joins = Array.from({ length: 8 }, (_, i) => `u${i}`);
    await Promise.all(joins.map((id) => member(room, `history=0&client=${id}`, SPREAD)));
    open();
    await single.next("join", 8); // e1's snapshot had b1: it sees only u0 to u7 join
    const expected = changes(single).slice(-8);
    expect(expected.map((change) => change.split(" ")[1]).sort()).toEqual(joins);
    await vi.waitFor(() => expect(changes(batched).slice(-8)).toEqual(expected), EVENTUALLY);

    const burst = batched.frames.slice(before);
    expect(burst.map((frame) => frame.type)).toEqual(["join", "presence_batch"]);
    expect((burst[1] as BatchFrame).events).toHaveLength(7);
    expect(single.frames.some((frame) => frame.type === "presence_batch")).toBe(false);
    // The directory's own watcher, same order; its line waits its own turn (BATCH_MS), so it may come later.
    await vi.waitFor(() => expect(changes(events).slice(-8)).toEqual(expected), EVENTUALLY);
    expect(changes(batched)).not.toContain("join b1");

    // One change alone comes as its own frame.
    await settle();
    events.close();
    await batched.next("leave");
    expect(batched.frames.at(-1)).toEqual({ type: "leave", member: { id: "e0" } });
  });
});
