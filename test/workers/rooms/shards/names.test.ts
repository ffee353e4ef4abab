import { describe, expect, it } from "vitest";
import { parseShardList, parseShardName, SINGLE_SHARD, shardName } from "../../../../src/rooms/shards/names";

describe("shard names", () => {
  it("keep shard 0 as the room's own name, so a room of one object is the object it always was", () => {
    expect(shardName("lobby", 0)).toBe("lobby");
    expect(shardName("lobby", 7)).toBe("lobby#7");
  });

  it("read back into the room and the index", () => {
    expect(parseShardName("lobby")).toEqual({ room: "lobby", index: 0 });
    expect(parseShardName("lobby#7")).toEqual({ room: "lobby", index: 7 });
  });

  it.each(["", "lobby#", "lobby#0", "lobby#01", "lobby#-1", "lobby#1#2", "lob by#1", "#1"])(
    "are refused for %j",
    (name) => {
      expect(parseShardName(name)).toBeNull();
    },
  );
});

describe("shard lists", () => {
  it("read back what was stored", () => {
    const list = { version: 4, shards: [0, 2, 5], added: [0, 1, 4] };
    expect(parseShardList(structuredClone(list))).toEqual(list);
    expect(parseShardList(SINGLE_SHARD)).toEqual(SINGLE_SHARD);
  });

  it.each([
    ["no directory first", { version: 1, shards: [1, 2], added: [0, 1] }],
    ["an unsorted list", { version: 1, shards: [0, 3, 2], added: [0, 1, 1] }],
    ["a repeated shard", { version: 1, shards: [0, 2, 2], added: [0, 1, 1] }],
    ["a negative version", { version: -1, shards: [0], added: [0] }],
    ["an index that is text", { version: 1, shards: [0, "1"], added: [0, 1] }],
    ["no incarnations", { version: 1, shards: [0, 1] }],
    ["an incarnation after the version", { version: 1, shards: [0, 1], added: [0, 2] }],
    ["fewer incarnations than shards", { version: 1, shards: [0, 1], added: [0] }],
    ["no list at all", { version: 1 }],
  ])("are refused with %s", (_what, value) => {
    expect(parseShardList(value)).toBeNull();
  });
});
