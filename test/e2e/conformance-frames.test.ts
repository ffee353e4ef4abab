/**
 * RFC 6455 data and control frames against the echo under `wrangler dev`:
 * fragmentation, UTF-8, reserved bits and opcodes, pings. Where the runtime
 * decides differently from the RFC, the test pins what it does (see README "Hardening").
 */
import { describe, expect, inject, it } from "vitest";
import { rawConnector } from "./raw-connector.ts";
import { OP_BINARY, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from "./raw-frames.ts";

const CLOSE_PROTOCOL_ERROR = 1002;
const connect = rawConnector(inject("wsUrl"));

describe("fragmented messages", () => {
  it("echoes a text message sent in three fragments as one whole text message", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, "frag", { fin: false });
    socket.send(OP_CONTINUATION, "men", { fin: false });
    socket.send(OP_CONTINUATION, "ted \u20ac");
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("fragmented \u20ac") });
  });

  it("echoes a binary message sent in fragments as one whole binary message", async () => {
    const socket = await connect();
    socket.send(OP_BINARY, Buffer.from([0, 1]), { fin: false });
    socket.send(OP_CONTINUATION, Buffer.from([2, 0xff]));
    expect(await socket.nextMessage()).toEqual({ type: "binary", data: Buffer.from([0, 1, 2, 0xff]) });
  });

  it("answers pings between fragments with pongs, then echoes the message whole", async () => {
    const socket = await connect();
    socket.send(OP_BINARY, Buffer.from("one-"), { fin: false });
    socket.send(OP_PING, "first");
    socket.send(OP_CONTINUATION, Buffer.from("two-"), { fin: false });
    socket.send(OP_PING, "second");
    socket.send(OP_CONTINUATION, Buffer.from("three"));
    const pongs = [await socket.nextFrame(), await socket.nextFrame()];
    expect(pongs.map((frame) => [frame.opcode, frame.payload.toString()])).toEqual([
      [OP_PONG, "first"],
      [OP_PONG, "second"],
    ]);
    expect(await socket.nextMessage()).toEqual({ type: "binary", data: Buffer.from("one-two-three") });
  });

  it("echoes a character whose UTF-8 bytes are split across fragments intact", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, Buffer.from([0x61, 0xe2, 0x82]), { fin: false });
    socket.send(OP_CONTINUATION, Buffer.from([0xac]));
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("a\u20ac") });
  });

  it("closes with 1002 on a continuation frame that continues nothing", async () => {
    const socket = await connect();
    socket.send(OP_CONTINUATION, "orphan");
    expect((await socket.waitForClose()).code).toBe(CLOSE_PROTOCOL_ERROR);
  });

  it("closes with 1002 on a new data frame in the middle of a fragmented message", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, "start", { fin: false });
    socket.send(OP_TEXT, "another");
    expect((await socket.waitForClose()).code).toBe(CLOSE_PROTOCOL_ERROR);
  });
});

describe("invalid UTF-8 in text frames (the runtime decodes it, so there is no 1007)", () => {
  const REPLACED = Buffer.from([0x61, 0xef, 0xbf, 0xbd, 0x62]); // "a\uFFFDb"

  it("echoes a text frame with an invalid byte as text with U+FFFD in its place", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, Buffer.from([0x61, 0xff, 0x62]));
    expect(await socket.nextMessage()).toEqual({ type: "text", data: REPLACED });
  });

  it("echoes a fragmented text message with a truncated sequence as text with U+FFFD in its place", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, Buffer.from([0x61, 0xe2]), { fin: false });
    socket.send(OP_CONTINUATION, Buffer.from([0x62]));
    expect(await socket.nextMessage()).toEqual({ type: "text", data: REPLACED });
  });

  it("keeps the connection open afterwards: the next message is echoed too", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, Buffer.from([0xc0, 0x80]));
    expect((await socket.nextMessage()).type).toBe("text");
    socket.send(OP_TEXT, "after");
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("after") });
  });
});

describe("reserved bits and opcodes (the runtime closes with 1002)", () => {
  it.each([
    ["RSV1", 4],
    ["RSV2", 2],
    ["RSV3", 1],
  ])("closes with 1002 on a frame with %s set", async (_, rsv) => {
    const socket = await connect();
    socket.send(OP_TEXT, "x", { rsv });
    expect((await socket.waitForClose()).code).toBe(CLOSE_PROTOCOL_ERROR);
  });

  it.each([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])("closes with 1002 on reserved opcode %i", async (opcode) => {
    const socket = await connect();
    socket.send(opcode, "x");
    expect((await socket.waitForClose()).code).toBe(CLOSE_PROTOCOL_ERROR);
  });

  it("closes with 1002 on a fragmented control frame", async () => {
    const socket = await connect();
    socket.send(OP_PING, "x", { fin: false });
    expect((await socket.waitForClose()).code).toBe(CLOSE_PROTOCOL_ERROR);
  });

  it("echoes an unmasked client frame: wrangler dev does not enforce client masking", async () => {
    const socket = await connect();
    socket.send(OP_TEXT, "unmasked", { mask: false });
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("unmasked") });
  });
});

describe("pings", () => {
  it.each([0, 1, 125])("answers a %i-byte ping with a pong carrying the same payload", async (size) => {
    const socket = await connect();
    const payload = Buffer.alloc(size, 0x5a);
    socket.send(OP_PING, payload);
    const pong = await socket.nextFrame();
    expect([pong.opcode, pong.fin, pong.payload]).toEqual([OP_PONG, true, payload]);
  });

  it("answers a 126-byte ping with a 126-byte pong: wrangler dev does not fail it with 1002", async () => {
    const socket = await connect();
    const payload = Buffer.alloc(126, 0x5a);
    socket.send(OP_PING, payload);
    const pong = await socket.nextFrame();
    expect([pong.opcode, pong.payload]).toEqual([OP_PONG, payload]);
  });

  it("ignores an unsolicited pong and keeps echoing", async () => {
    const socket = await connect();
    socket.send(OP_PONG, "unsolicited");
    socket.send(OP_TEXT, "next");
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("next") });
  });
});
