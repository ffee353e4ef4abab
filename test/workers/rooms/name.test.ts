import { describe, expect, it } from "vitest";
import { INVALID_ECHO_FLAG, INVALID_ROOM_NAME, parseEchoFlag, parseRoomPath } from "../../../src/rooms/name";

describe("parseRoomPath", () => {
  it.each(["a", "lobby", "Room_1-b", "x".repeat(64)])("accepts /rooms/%s", (name) => {
    expect(parseRoomPath(`/rooms/${name}`)).toEqual({ ok: true, name });
  });

  it.each([
    ["no name", "/rooms/"],
    ["65 characters", `/rooms/${"x".repeat(65)}`],
    ["a second segment", "/rooms/a/b"],
    ["a trailing slash", "/rooms/a/"],
    ["a percent-encoded space", "/rooms/a%20b"],
    ["a dot", "/rooms/a.b"],
    ["a non-ASCII letter", "/rooms/caf%C3%A9"],
    ["another prefix", "/room/a"],
  ])("refuses %s with the naming rule", (_what, path) => {
    expect(parseRoomPath(path)).toEqual({ ok: false, reason: INVALID_ROOM_NAME });
  });
});

describe("parseEchoFlag", () => {
  it.each([
    ["", false],
    ["?echo=0", false],
    ["?echo=1", true],
    ["?other=1", false],
  ])("reads %j as echo %s", (query, echo) => {
    expect(parseEchoFlag(new URLSearchParams(query))).toEqual({ ok: true, echo });
  });

  it.each(["?echo=", "?echo=yes", "?echo=true", "?echo=2"])("refuses %j", (query) => {
    expect(parseEchoFlag(new URLSearchParams(query))).toEqual({ ok: false, reason: INVALID_ECHO_FLAG });
  });
});
