import { afterEach, describe, expect, it, vi } from "vitest";
import type { CountReading } from "../../../../src/rooms/shards/count-reading";
import { DIRECTORY_KEY, Directory } from "../../../../src/rooms/shards/directory";
import { parseAdmission } from "../../../../src/rooms/shards/directory-answers";
import { parseDirectoryRecord } from "../../../../src/rooms/shards/directory-record";
import type { JoinKeys } from "../../../../src/rooms/shards/member-keys";
import type { ShardList } from "../../../../src/rooms/shards/names";
import { RETIRED_MS } from "../../../../src/rooms/shards/retired";

class MapStore {
  readonly map = new Map<string, unknown>();
  get(key: string): unknown {
    return structuredClone(this.map.get(key));
  }
  put(key: string, value: unknown): void {
    this.map.set(key, structuredClone(value));
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
}

/** A join with neither a user nor an address: no cap applies. */
const NO_KEYS: JoinKeys = { keys: [], caps: { user: 10, address: 100 } };

let seq = 0;
/** A reading from one life of a shard. */
function reading(occupancy: number, incarnation = "life"): CountReading {
  return { occupancy, incarnation, seq: ++seq };
}

/**
 * A directory whose announcements are recorded, and fail for the shards in `unreachable`;
 * `live` holds what each shard answers a census; time stands still unless `clock.now` moves.
 */
function directory(store = new MapStore(), unreachable = new Set<number>()) {
  const announced: [number, number][] = [];
  const censused: number[] = [];
  const live = new Map<number, number>();
  const background: Promise<unknown>[] = [];
  const clock = { now: 0 };
  let retries = 0;
  const forgetAt: number[] = [];
  const dir = new Directory("lobby", {
    store,
    announce: async (index: number, list: ShardList) => {
      if (unreachable.has(index)) throw new Error(`shard ${index} unreachable`);
      announced.push([index, list.version]);
    },
    census: async (index: number) => {
      censused.push(index);
      return reading(live.get(index) ?? 0, "census");
    },
    localKeys: () => 0,
    onChange: () => {},
    background: (work) => background.push(work),
    retryLater: () => retries++,
    forgetLater: (at: number) => forgetAt.push(at),
    now: () => clock.now,
  });
  return {
    dir,
    announced,
    censused,
    live,
    store,
    clock,
    forgetAt,
    settled: () => Promise.all(background),
    retries: () => retries,
  };
}

const local = (n: number) => () => n;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the directory", () => {
  it("starts as a room of one object", () => {
    const { dir } = directory();
    expect(dir.list).toEqual({ version: 0, shards: [0], added: [0] });
    expect(dir.members(4)).toBe(4);
  });

  it("admits a new shard once every other shard has the new list, and keeps it in storage", async () => {
    const { dir, announced, store } = directory();
    expect(await dir.admit(1, reading(1), 10, local(3), NO_KEYS)).toEqual({
      kind: "admitted",
      list: { version: 1, shards: [0, 1], added: [0, 1] },
    });
    expect(announced).toEqual([]);
    expect(await dir.admit(2, reading(1), 10, local(3), NO_KEYS)).toMatchObject({
      kind: "admitted",
      list: { version: 2 },
    });
    expect(announced).toEqual([[1, 2]]);
    expect(dir.members(3)).toBe(5);
    expect(store.map.get(DIRECTORY_KEY)).toEqual({
      version: 2,
      shards: [
        [1, 1, 1, 2],
        [2, 1, 2, 2],
      ],
    });
  });

  it("admits into a shard that exists without calling any other shard, even one that cannot be reached", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = new Set<number>();
    const { dir, announced, settled } = directory(new MapStore(), unreachable);
    for (const index of [1, 2, 3]) await dir.admit(index, reading(1), 100, local(3), NO_KEYS);
    unreachable.add(2);
    dir.report(3, reading(0)); // the list changes again: shard 3 left, and shard 2 misses that
    await settled();
    const calls = announced.length;
    expect(await dir.admit(1, reading(2), 100, local(3), NO_KEYS)).toMatchObject({ kind: "admitted" });
    expect(announced.length).toBe(calls);
  });

  it("answers busy only while a shard cannot be told of a new one", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = new Set([1]);
    const { dir, announced } = directory(new MapStore(), unreachable);
    await dir.admit(1, reading(1), 10, local(3), NO_KEYS);
    expect(await dir.admit(2, reading(1), 10, local(3), NO_KEYS)).toEqual({
      kind: "busy",
      reason: "shards 1 could not be told of the list",
    });
    unreachable.clear();
    expect(await dir.admit(2, reading(1), 10, local(3), NO_KEYS)).toMatchObject({ kind: "admitted" });
    expect(announced).toEqual([[1, 2]]);
  });

  it("comes back from storage after a wake knowing who was told: no call for a join into an existing shard", async () => {
    const first = directory();
    await first.dir.admit(1, reading(3), 10, local(3), NO_KEYS);
    await first.dir.admit(2, reading(2), 10, local(3), NO_KEYS);
    const woken = directory(first.store);
    expect(woken.dir.list).toEqual({ version: 2, shards: [0, 1, 2], added: [0, 1, 2] });
    expect(woken.dir.members(3)).toBe(8);
    expect(await woken.dir.admit(2, reading(3), 10, local(3), NO_KEYS)).toMatchObject({ kind: "admitted" });
    expect(woken.announced).toEqual([]);
  });

  it("tells each shard each list once, however many admissions race", async () => {
    const { dir, announced } = directory();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => dir.admit(1 + (i % 5), reading(1 + i), 100, local(3), NO_KEYS)),
    );
    const perShard = new Map<number, number[]>();
    for (const [index, version] of announced) perShard.set(index, [...(perShard.get(index) ?? []), version]);
    for (const versions of perShard.values()) expect(new Set(versions).size).toBe(versions.length);
  });

  it("drops a shard that reports no members, and tells the others without making the report wait", async () => {
    const { dir, announced, settled } = directory();
    await dir.admit(1, reading(3), 10, local(3), NO_KEYS);
    await dir.admit(2, reading(1), 10, local(3), NO_KEYS);
    dir.report(1, reading(2));
    expect(dir.list.shards).toEqual([0, 1, 2]);
    dir.report(1, reading(0));
    expect(dir.list).toEqual({ version: 3, shards: [0, 2], added: [0, 2] });
    await settled();
    expect(announced.at(-1)).toEqual([2, 3]);
    expect(dir.members(3)).toBe(4);
  });

  it("asks for a retry when a shard could not be told that another left, and tells it on the retry", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = new Set<number>();
    const { dir, announced, settled, retries } = directory(new MapStore(), unreachable);
    await dir.admit(1, reading(1), 10, local(3), NO_KEYS);
    await dir.admit(2, reading(1), 10, local(3), NO_KEYS);
    unreachable.add(1);
    dir.report(2, reading(0));
    await settled();
    expect(retries()).toBe(1);
    unreachable.clear();
    await dir.retryAnnouncements();
    expect(announced.at(-1)).toEqual([1, 3]);
  });

  it("keeps joins on their way in mind when a shard reports, until they arrive", async () => {
    const { dir } = directory();
    await dir.admit(1, reading(1), 100, local(3), NO_KEYS);
    expect(await dir.place(local(3), 3, 100, NO_KEYS)).toEqual({ kind: "shard", index: 1 });
    expect(await dir.place(local(3), 3, 100, NO_KEYS)).toEqual({ kind: "shard", index: 1 });
    dir.report(1, reading(1)); // a report, not an arrival: both joins are still on their way
    expect(await dir.place(local(3), 3, 100, NO_KEYS)).toEqual({ kind: "shard", index: 2 });
    await dir.admit(1, reading(2), 100, local(3), NO_KEYS); // one arrived
    expect(await dir.place(local(3), 3, 100, NO_KEYS)).toEqual({ kind: "shard", index: 2 });
  });

  it("forgets a join on its way once it had time to arrive", async () => {
    const { dir, clock } = directory();
    await dir.admit(1, reading(1), 100, local(3), NO_KEYS);
    await dir.place(local(3), 3, 100, NO_KEYS);
    await dir.place(local(3), 3, 100, NO_KEYS);
    clock.now = 60_000;
    expect(await dir.place(local(3), 3, 100, NO_KEYS)).toEqual({ kind: "shard", index: 1 });
  });

  it("asks the shards for their live count before refusing a join as full", async () => {
    const { dir, censused, live, clock } = directory();
    await dir.admit(1, reading(3), 7, local(3), NO_KEYS);
    await dir.admit(2, reading(1), 7, local(3), NO_KEYS);
    clock.now = 5_000;
    live.set(1, 0).set(2, 1); // shard 1 restarted and lost its sockets: the room holds 4, not 7
    expect(await dir.place(local(3), 3, 7, NO_KEYS)).toEqual({ kind: "shard", index: 2 });
    expect(censused.sort()).toEqual([1, 2]);
    expect(dir.list.shards).toEqual([0, 2]);
  });

  it("gives a count no older than COUNT_TRUSTED_MS, asking only the shards it has not heard from", async () => {
    const { dir, censused, live, clock } = directory();
    await dir.admit(1, reading(3), 100, local(3), NO_KEYS);
    await dir.admit(2, reading(2), 100, local(3), NO_KEYS);
    live.set(1, 3).set(2, 0);
    expect(await dir.count(local(3))).toEqual({ connections: 8, shards: 3 });
    expect(censused).toEqual([]);
    clock.now = 10_001;
    dir.report(1, reading(3));
    expect(await dir.count(local(3))).toEqual({ connections: 6, shards: 2 });
    expect(censused).toEqual([2]);
  });

  it("ignores a census answer older than a report it already heard", async () => {
    const { dir } = directory();
    await dir.admit(1, reading(3, "a"), 100, local(3), NO_KEYS);
    const old = reading(1, "a");
    dir.report(1, reading(2, "a"));
    dir.report(1, old);
    expect(dir.members(0)).toBe(2);
  });

  it("keeps nothing in storage once the room is empty and a day has passed since its last shard left", async () => {
    const { dir, store, clock, forgetAt } = directory();
    await dir.admit(1, reading(1), 10, local(3), NO_KEYS);
    clock.now = 1_000;
    dir.report(1, reading(0));
    dir.emptied(1);
    expect(store.map.has(DIRECTORY_KEY)).toBe(true);
    dir.emptied(0);
    // Shard 1's history may still hold messages a member resumes from: the room remembers it.
    expect(store.map.get(DIRECTORY_KEY)).toMatchObject({ shards: [], retired: [[1, 1_000]] });
    expect(forgetAt).toEqual([1_000 + RETIRED_MS]);
    clock.now = 1_000 + RETIRED_MS;
    dir.forgetRetired(0);
    expect(store.map.has(DIRECTORY_KEY)).toBe(false);
    expect(dir.origins()).toEqual([0]);
  });

  it("still knows, after the room emptied and the directory was rebuilt, the shards that left within a day", async () => {
    const { dir, store } = directory();
    await dir.admit(1, reading(1), 10, local(3), NO_KEYS);
    dir.report(1, reading(0));
    dir.emptied(0);
    expect(directory(store).dir.origins()).toEqual([0, 1]);
  });
});

describe("stored and sent directory data", () => {
  it("reads a directory record back, and refuses a malformed one", () => {
    expect(parseDirectoryRecord({ version: 3, shards: [[1, 2, 1, 3]] })).toEqual({
      version: 3,
      shards: [[1, 2, 1, 3]],
    });
    expect(parseDirectoryRecord({ version: 3, shards: [[0, 2, 1, 3]] })).toBeNull();
    expect(parseDirectoryRecord({ version: 3, shards: [[1, 0, 1, 3]] })).toBeNull();
    expect(parseDirectoryRecord({ version: 3, shards: [[1, 2, 4, 3]] })).toBeNull();
    expect(parseDirectoryRecord({ version: 3, shards: [[1, 2]] })).toBeNull();
    expect(parseDirectoryRecord(undefined)).toBeNull();
  });

  it("reads an admission back, and refuses a malformed one", () => {
    const admitted = { kind: "admitted", list: { version: 1, shards: [0, 1], added: [0, 1] } };
    expect(parseAdmission(admitted)).toEqual(admitted);
    expect(parseAdmission({ kind: "full" })).toEqual({ kind: "full" });
    expect(parseAdmission({ kind: "busy", reason: "x" })).toEqual({ kind: "busy", reason: "x" });
    expect(parseAdmission({ kind: "admitted", list: { version: 1, shards: [1], added: [0] } })).toBeNull();
    expect(parseAdmission({ kind: "admitted", list: { version: 1, shards: [0, 1] } })).toBeNull();
    expect(parseAdmission({ kind: "busy" })).toBeNull();
    expect(parseAdmission(null)).toBeNull();
  });
});
