import { describe, expect, it } from "vitest";
import {
  MAX_ROOM_CONNECTIONS,
  PLATFORM_MAX_MESSAGE_BYTES,
  PLATFORM_MAX_SHARD_CONNECTIONS,
  parseConfig,
} from "../../../src/config";
import { type JoinTicket, joinTicket, memberFrom, parseJoinTicket } from "../../../src/rooms/join-ticket";
import { parseMember } from "../../../src/rooms/member";

const ticket: JoinTicket = {
  echo: true,
  protocol: "chat.v1",
  maxConnections: 100,
  shardConnections: 10,
  maxMessageBytes: 1024,
  maxMessagesPerSecond: 10,
  access: { sub: null, write: true, expires: null, info: null },
  position: null,
  history: { messages: 1000, seconds: 300 },
  keys: { keys: ["address:192.0.2.1"], caps: { user: 10, address: 100 } },
  client: null,
  watch: false,
  batched: false,
  presenceMax: 1000,
  acks: null,
};

describe("joinTicket", () => {
  it("carries the member's choices and the room limits of the config", () => {
    const config = parseConfig({
      ROOM_MAX_CONNECTIONS: "100",
      ROOM_SHARD_CONNECTIONS: "10",
      MAX_MESSAGE_BYTES: "1024",
      MAX_MESSAGES_PER_SECOND: "10",
    });
    expect(joinTicket(config, true, "chat.v1", undefined, null, "192.0.2.1")).toEqual(ticket);
  });

  it("counts a private room's member by its token's sub and its address, under the caps of the config", () => {
    const config = parseConfig({ ROOM_MAX_PER_USER: "3", ROOM_MAX_PER_ADDRESS: "0" });
    const access = { sub: "alice", write: true, expires: null, info: null };
    expect(joinTicket(config, false, null, access, null, "2001:db8:1:2::/64").keys).toEqual({
      keys: ["user:alice", "address:2001:db8:1:2::/64"],
      caps: { user: 3, address: 0 },
    });
    expect(joinTicket(config, false, null).keys).toEqual({ keys: [], caps: { user: 3, address: 0 } });
  });
});

describe("parseJoinTicket", () => {
  it("reads back what the Worker wrote", () => {
    expect(parseJoinTicket(JSON.stringify(ticket))).toEqual(ticket);
    expect(parseJoinTicket(JSON.stringify({ ...ticket, protocol: null }))).toEqual({ ...ticket, protocol: null });
  });

  it.each([
    ["a missing header", null],
    ["text that is not JSON", "not json"],
    ["a JSON array", "[]"],
    ["an echo flag that is not a boolean", JSON.stringify({ ...ticket, echo: 1 })],
    ["a protocol that is not a string", JSON.stringify({ ...ticket, protocol: 7 })],
    ["no room for anyone", JSON.stringify({ ...ticket, maxConnections: 0 })],
    ["a room larger than any config allows", JSON.stringify({ ...ticket, maxConnections: MAX_ROOM_CONNECTIONS + 1 })],
    [
      "more members per object than the platform allows",
      JSON.stringify({ ...ticket, shardConnections: PLATFORM_MAX_SHARD_CONNECTIONS + 1 }),
    ],
    ["no members per object", JSON.stringify({ ...ticket, shardConnections: 0 })],
    [
      "a message limit over the platform's",
      JSON.stringify({ ...ticket, maxMessageBytes: PLATFORM_MAX_MESSAGE_BYTES + 1 }),
    ],
    ["a fractional rate", JSON.stringify({ ...ticket, maxMessagesPerSecond: 1.5 })],
    ["a missing limit", JSON.stringify({ echo: true, protocol: null, maxConnections: 1, maxMessageBytes: 1 })],
    ["no access", JSON.stringify({ ...ticket, access: undefined })],
    ["a write right that is not a boolean", JSON.stringify({ ...ticket, access: { ...ticket.access, write: 1 } })],
    ["an empty sub", JSON.stringify({ ...ticket, access: { ...ticket.access, sub: "" } })],
    ["a sub of 129 characters", JSON.stringify({ ...ticket, access: { ...ticket.access, sub: "a".repeat(129) } })],
    ["an expiry that is not a time", JSON.stringify({ ...ticket, access: { ...ticket.access, expires: "soon" } })],
    ["no keys", JSON.stringify({ ...ticket, keys: undefined })],
    ["a key of no kind", JSON.stringify({ ...ticket, keys: { ...ticket.keys, keys: ["ip:192.0.2.1"] } })],
    ["a negative cap", JSON.stringify({ ...ticket, keys: { ...ticket.keys, caps: { user: -1, address: 100 } } })],
  ])("refuses %s", (_what, header) => {
    expect(parseJoinTicket(header)).toBeNull();
  });
});

describe("members", () => {
  it("take the echo flag and message limits of their ticket, not the room size", () => {
    expect(memberFrom(ticket, "id-1", 1_700_000_000_000)).toEqual({
      id: "id-1",
      joinedAt: 1_700_000_000_000,
      echo: true,
      maxMessageBytes: 1024,
      maxMessagesPerSecond: 10,
      sub: null,
      write: true,
      expires: null,
      info: null,
      positioned: false,
      floors: null,
      client: null,
      watch: false,
      acks: null,
    });
  });

  it("carry what their token grants: sub, write and expiry", () => {
    const access = { sub: "alice", write: false, expires: 1_700_000_060_000, info: null };
    const member = memberFrom({ ...ticket, access }, "id-2", 1_700_000_000_000);
    expect(member).toMatchObject(access);
    expect(parseMember(structuredClone(member))).toEqual(member);
  });

  it("with acks, keep their identity; one from before acks reads as without", () => {
    const member = memberFrom({ ...ticket, acks: "client:c1" }, "id-3", 1_700_000_000_000);
    expect(parseMember(structuredClone(member))).toMatchObject({ acks: "client:c1" });
    const { acks: _, ...older } = member;
    expect(parseMember(structuredClone(older))).toMatchObject({ acks: null });
  });

  it("read back from an attachment unchanged", () => {
    const member = memberFrom(ticket, "id-1", 1_700_000_000_000);
    expect(parseMember(structuredClone(member))).toEqual(member);
  });

  it.each([
    ["no attachment", null],
    ["a string", "id-1"],
    ["a missing id", { joinedAt: 0, echo: false, maxMessageBytes: 1, maxMessagesPerSecond: 0 }],
    ["a negative join time", { id: "x", joinedAt: -1, echo: false, maxMessageBytes: 1, maxMessagesPerSecond: 0 }],
    ["an echo flag that is a string", { id: "x", joinedAt: 0, echo: "1", maxMessageBytes: 1, maxMessagesPerSecond: 0 }],
  ])("are not made from %s", (_what, attachment) => {
    expect(parseMember(attachment)).toBeNull();
  });
});
