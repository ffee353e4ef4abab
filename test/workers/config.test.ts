import { describe, expect, it } from "vitest";
import {
  ConfigError,
  configFor,
  DEFAULT_ROOM_MAX_CONNECTIONS,
  DEFAULT_ROOM_MAX_PER_ADDRESS,
  DEFAULT_ROOM_MAX_PER_USER,
  DEFAULT_ROOM_SHARD_CONNECTIONS,
  PLATFORM_MAX_MESSAGE_BYTES,
  parseConfig,
} from "../../src/config";

describe("parseConfig", () => {
  it("gives the documented defaults for empty vars", () => {
    const config = parseConfig({ ECHO_PREFIX: "", MAX_MESSAGE_BYTES: "", ALLOWED_ORIGINS: "*", SUBPROTOCOLS: "" });
    expect(config.echoPrefix).toBe("");
    expect(config.maxMessageBytes).toBe(PLATFORM_MAX_MESSAGE_BYTES);
    expect(config.roomMaxConnections).toBe(DEFAULT_ROOM_MAX_CONNECTIONS);
    expect(config.roomShardConnections).toBe(DEFAULT_ROOM_SHARD_CONNECTIONS);
    expect(config.allowedOrigins).toBe("*");
    expect(config.subprotocols.size).toBe(0);
    expect(config.maxMessagesPerSecond).toBe(100);
    expect(config.controls).toBe(true);
  });

  it("turns the test controls off with CONTROLS = off, on with on", () => {
    expect(parseConfig({ CONTROLS: "off" }).controls).toBe(false);
    expect(parseConfig({ CONTROLS: " on " }).controls).toBe(true);
  });

  it("reads numbers written as strings or bare numbers", () => {
    expect(parseConfig({ MAX_MESSAGE_BYTES: "1024" }).maxMessageBytes).toBe(1024);
    expect(parseConfig({ MAX_MESSAGE_BYTES: 2048 }).maxMessageBytes).toBe(2048);
  });

  it("splits comma lists and trims them", () => {
    const config = parseConfig({
      ALLOWED_ORIGINS: " https://a.example ,https://b.example:8443",
      SUBPROTOCOLS: "v1, v2",
    });
    expect(config.allowedOrigins).toEqual(new Set(["https://a.example", "https://b.example:8443"]));
    expect(config.subprotocols).toEqual(new Set(["v1", "v2"]));
  });

  it("reads the room's total and its members per object apart; a total below one object's size is one object", () => {
    const config = parseConfig({ ROOM_MAX_CONNECTIONS: "250000", ROOM_SHARD_CONNECTIONS: "10000" });
    expect(config.roomMaxConnections).toBe(250_000);
    expect(config.roomShardConnections).toBe(10_000);
    expect(parseConfig({ ROOM_MAX_CONNECTIONS: "2" }).roomShardConnections).toBe(DEFAULT_ROOM_SHARD_CONNECTIONS);
  });

  it("caps a room's connections per user and per address at 10 and 100 by default, 0 turning either off", () => {
    const defaults = parseConfig({ ROOM_MAX_PER_USER: "", ROOM_MAX_PER_ADDRESS: "" });
    expect([defaults.roomMaxPerUser, defaults.roomMaxPerAddress]).toEqual([
      DEFAULT_ROOM_MAX_PER_USER,
      DEFAULT_ROOM_MAX_PER_ADDRESS,
    ]);
    expect([DEFAULT_ROOM_MAX_PER_USER, DEFAULT_ROOM_MAX_PER_ADDRESS]).toEqual([10, 100]);
    const off = parseConfig({ ROOM_MAX_PER_USER: "0", ROOM_MAX_PER_ADDRESS: "0" });
    expect([off.roomMaxPerUser, off.roomMaxPerAddress]).toEqual([0, 0]);
    expect(() => parseConfig({ ROOM_MAX_PER_USER: "-1" })).toThrow(
      'ROOM_MAX_PER_USER must be a decimal integer from 0 to 1000000, got "-1"',
    );
    expect(() => parseConfig({ ROOM_MAX_PER_ADDRESS: "1000001" })).toThrow(
      "ROOM_MAX_PER_ADDRESS must be a decimal integer from 0 to 1000000",
    );
  });

  it("keeps the prefix's spaces exactly", () => {
    expect(parseConfig({ ECHO_PREFIX: "received: " }).echoPrefix).toBe("received: ");
  });

  it.each([
    ["MAX_MESSAGE_BYTES", "lots", "MAX_MESSAGE_BYTES must be a decimal integer from 1 to 33554432"],
    ["MAX_MESSAGE_BYTES", "0", "MAX_MESSAGE_BYTES must be a decimal integer"],
    ["MAX_MESSAGE_BYTES", "40000000", "MAX_MESSAGE_BYTES must be a decimal integer"],
    ["MAX_MESSAGE_BYTES", "1.5", "MAX_MESSAGE_BYTES must be a decimal integer"],
    ["ROOM_MAX_CONNECTIONS", "1000001", "ROOM_MAX_CONNECTIONS must be a decimal integer from 1 to 1000000"],
    ["ROOM_MAX_CONNECTIONS", "0", "ROOM_MAX_CONNECTIONS must be a decimal integer"],
    ["ROOM_SHARD_CONNECTIONS", "40000", "ROOM_SHARD_CONNECTIONS must be a decimal integer from 1 to 32768"],
    ["ROOM_SHARD_CONNECTIONS", "0", "ROOM_SHARD_CONNECTIONS must be a decimal integer"],
    ["MAX_MESSAGES_PER_SECOND", "-1", "MAX_MESSAGES_PER_SECOND must be a decimal integer from 0"],
    ["ROOM_SHARD_CONNECTIONS", "1e3", 'ROOM_SHARD_CONNECTIONS must be a decimal integer from 1 to 32768, got "1e3"'],
    [
      "MAX_MESSAGES_PER_SECOND",
      "0x10",
      'MAX_MESSAGES_PER_SECOND must be a decimal integer from 0 to 1000000, got "0x10"',
    ],
    ["ROOM_MAX_CONNECTIONS", " 5", 'got " 5"'],
    ["ROOM_MAX_CONNECTIONS", "5.0", 'got "5.0"'],
    ["ROOM_MAX_CONNECTIONS", "+5", 'got "+5"'],
    ["ROOM_MAX_CONNECTIONS", "05", 'got "05"'],
    ["ROOM_AUTH", "tokens", 'ROOM_AUTH must be "open" or "token", got "tokens"'],
    ["ALLOWED_ORIGINS", "example.com", 'ALLOWED_ORIGINS entry "example.com" is not an origin'],
    ["ALLOWED_ORIGINS", "https://a.example/path", "is not an origin"],
    ["SUBPROTOCOLS", "bad protocol", 'SUBPROTOCOLS entry "bad protocol" is not a valid token'],
    ["CONTROLS", "yes", 'CONTROLS must be "on" or "off", got "yes"'],
    ["CONTROLS", "OFF", 'CONTROLS must be "on" or "off", got "OFF"'],
    ["ROOM_TOKEN_QUERY", "yes", 'ROOM_TOKEN_QUERY must be "on" or "off", got "yes"'],
  ] as const)("rejects %s = %j with a message naming it", (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });

  it("lists every bad value in one error", () => {
    expect(() => parseConfig({ MAX_MESSAGE_BYTES: "x", ROOM_MAX_CONNECTIONS: "y" })).toThrow(
      /MAX_MESSAGE_BYTES.*; ROOM_MAX_CONNECTIONS/,
    );
  });
});

describe("configFor", () => {
  it("parses once per env object", () => {
    const env = { MAX_MESSAGE_BYTES: "10" };
    expect(configFor(env)).toBe(configFor(env));
    expect(configFor({ ...env })).not.toBe(configFor(env));
  });
});
