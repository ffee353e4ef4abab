import { afterEach, describe, expect, it, vi } from "vitest";
import { DIRECTORY_KEY, Directory, parseAdmission, parseDirectoryRecord } from "../../../../src/rooms/shards/directory";
import type { ShardList } from "../../../../src/rooms/shards/names";

class MapStore {
  readonly map = new Map<string, unknown>();
  get(key: string): unknown {
    return structuredClone(this.map.get(key));
  }
  put(key: string, value: unknown): void {
    this.map.set(key, structuredClone(value));
  }
}

/** A directory whose announcements are recorded, and fail for the shards in `unreachable`. */
function directory(store = new MapStore(), unreachable = new Set<number>()) {
  const announced: [number, ShardList][] = [];
  const changes: ShardList[] = [];
  const announce = async (index: number, list: ShardList) => {
    if (unreachable.has(index)) throw new Error(`shard ${index} unreachable`);
    announced.push([index, list]);
  };
  return { dir: new Directory(store, announce, "lobby", (list) => changes.push(list)), announced, changes, store };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the directory", () => {
  it("starts as a room of one object", () => {
    const { dir } = directory();
    expect(dir.list).toEqual({ version: 0, shards: [0] });
    expect(dir.members(4)).toBe(4);
  });

  it("admits a new shard once every other shard has the new list, and keeps it in storage", async () => {
    const { dir, announced, changes, store } = directory();
    expect(await dir.admit(1, 1, 10, 3)).toEqual({ kind: "admitted", list: { version: 1, shards: [0, 1] } });
    expect(announced).toEqual([]);
    expect(await dir.admit(2, 1, 10, 3)).toEqual({ kind: "admitted", list: { version: 2, shards: [0, 1, 2] } });
    expect(announced).toEqual([[1, { version: 2, shards: [0, 1, 2] }]]);
    expect(changes.map((list) => list.version)).toEqual([1, 2]);
    expect(dir.members(3)).toBe(5);
    expect(store.map.get(DIRECTORY_KEY)).toEqual({
      version: 2,
      counts: [
        [1, 1],
        [2, 1],
      ],
    });
  });

  it("answers full when the join would pass the room's total, and counts the shard without it", async () => {
    const { dir } = directory();
    await dir.admit(1, 2, 5, 3);
    expect(await dir.admit(1, 3, 5, 3)).toEqual({ kind: "full" });
    expect(dir.members(3)).toBe(5);
    expect(await dir.admit(2, 1, 5, 3)).toEqual({ kind: "full" });
    expect(dir.list.shards).toEqual([0, 1]);
  });

  it("answers busy while a shard cannot be told of a new one, and tells it at the next admission", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = new Set([1]);
    const { dir, announced } = directory(new MapStore(), unreachable);
    await dir.admit(1, 1, 10, 3);
    expect(await dir.admit(2, 1, 10, 3)).toEqual({ kind: "busy", reason: "shards 1 could not be told of the list" });
    unreachable.clear();
    expect(await dir.admit(2, 1, 10, 3)).toMatchObject({ kind: "admitted" });
    expect(announced).toEqual([[1, { version: 2, shards: [0, 1, 2] }]]);
  });

  it("tells a shard that missed the list at the next report from any shard", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = new Set([1]);
    const { dir, announced } = directory(new MapStore(), unreachable);
    await dir.admit(1, 1, 10, 3);
    await dir.admit(2, 1, 10, 3);
    unreachable.clear();
    await dir.report(2, 0);
    expect(announced).toEqual([[1, { version: 3, shards: [0, 1] }]]);
  });

  it("drops a shard that reports no members, and tells the others", async () => {
    const { dir, announced } = directory();
    await dir.admit(1, 3, 10, 3);
    await dir.admit(2, 1, 10, 3);
    await dir.report(1, 2);
    expect(dir.list).toEqual({ version: 2, shards: [0, 1, 2] });
    await dir.report(1, 0);
    expect(dir.list).toEqual({ version: 3, shards: [0, 2] });
    expect(announced.at(-1)).toEqual([2, { version: 3, shards: [0, 2] }]);
    expect(dir.members(3)).toBe(4);
  });

  it("comes back from storage after an eviction, and announces again to every shard", async () => {
    const first = directory();
    await first.dir.admit(1, 3, 10, 3);
    await first.dir.admit(2, 2, 10, 3);
    const woken = directory(first.store);
    expect(woken.dir.list).toEqual({ version: 2, shards: [0, 1, 2] });
    expect(woken.dir.members(3)).toBe(8);
    await woken.dir.admit(2, 3, 10, 3);
    expect(woken.announced).toEqual([[1, { version: 2, shards: [0, 1, 2] }]]);
  });

  it("spreads joins sent on their way, and forgets them when the shard speaks", async () => {
    const { dir } = directory();
    await dir.admit(1, 1, 100, 3);
    expect(dir.place(3, 3, 100)).toEqual({ kind: "shard", index: 1 });
    expect(dir.place(3, 3, 100)).toEqual({ kind: "shard", index: 1 });
    expect(dir.place(3, 3, 100)).toEqual({ kind: "shard", index: 2 });
    await dir.report(1, 1);
    expect(dir.place(3, 3, 100)).toEqual({ kind: "shard", index: 1 });
  });
});

describe("stored and sent directory data", () => {
  it("reads a directory record back, and refuses a malformed one", () => {
    expect(parseDirectoryRecord({ version: 3, counts: [[1, 2]] })).toEqual({ version: 3, counts: [[1, 2]] });
    expect(parseDirectoryRecord({ version: 3, counts: [[0, 2]] })).toBeNull();
    expect(parseDirectoryRecord({ version: 3, counts: [[1, 0]] })).toBeNull();
    expect(parseDirectoryRecord({ version: 3, counts: [[1]] })).toBeNull();
    expect(parseDirectoryRecord(undefined)).toBeNull();
  });

  it("reads an admission back, and refuses a malformed one", () => {
    const admitted = { kind: "admitted", list: { version: 1, shards: [0, 1] } };
    expect(parseAdmission(admitted)).toEqual(admitted);
    expect(parseAdmission({ kind: "full" })).toEqual({ kind: "full" });
    expect(parseAdmission({ kind: "busy", reason: "x" })).toEqual({ kind: "busy", reason: "x" });
    expect(parseAdmission({ kind: "admitted", list: { version: 1, shards: [1] } })).toBeNull();
    expect(parseAdmission({ kind: "busy" })).toBeNull();
    expect(parseAdmission(null)).toBeNull();
  });
});
