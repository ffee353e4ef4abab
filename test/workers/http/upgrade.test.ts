import { describe, expect, it } from "vitest";
import { chooseSubprotocol, isUpgrade } from "../../../src/http/upgrade";

describe("isUpgrade", () => {
  it.each([
    ["websocket", true],
    ["WebSocket", true],
    ["h2c, websocket", true],
    ["h2c", false],
  ])("reads Upgrade: %s as %s", (value, expected) => {
    expect(isUpgrade(new Request("http://x/", { headers: { Upgrade: value } }))).toBe(expected);
  });
  it("is false without an Upgrade header", () => {
    expect(isUpgrade(new Request("http://x/"))).toBe(false);
  });
});

describe("chooseSubprotocol", () => {
  const supported = new Set(["v2", "v1"]);
  it("picks the client's first offer that the server speaks", () => {
    expect(chooseSubprotocol("chat, v1, v2", supported)).toBe("v1");
  });
  it("picks none when nothing offered is supported, or nothing is configured", () => {
    expect(chooseSubprotocol("chat", supported)).toBeNull();
    expect(chooseSubprotocol("v1", new Set())).toBeNull();
    expect(chooseSubprotocol(null, supported)).toBeNull();
  });
});
