/**
 * The raw RFC 6455 client checked against itself and against the `ws` server,
 * so a conformance failure is the service's, not the test client's.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  closePayload,
  encodeFrame,
  FrameParser,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  parseClose,
} from "./raw-frames.ts";
import { acceptFor, openRaw, rawUpgrade } from "./raw-upgrade.ts";

describe("frames", () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])("a %i-byte frame parses back to what was encoded", (size) => {
    const payload = Buffer.alloc(size, 0xa5);
    for (const mask of [true, false]) {
      const frames = new FrameParser().push(encodeFrame(OP_BINARY, payload, { fin: false, rsv: 5, mask }));
      expect(frames).toEqual([{ fin: false, rsv: 5, opcode: OP_BINARY, payload }]);
    }
  });

  it("uses the 7-bit, 16-bit and 64-bit length forms at 125, 126 and 65536 bytes", () => {
    const second = (size: number) => encodeFrame(OP_TEXT, Buffer.alloc(size), { mask: false })[1];
    expect([second(125), second(126), second(65_535), second(65_536)]).toEqual([125, 126, 126, 127]);
  });

  it("masks a client frame: mask bit set, payload bytes not sent in clear", () => {
    const frame = encodeFrame(OP_TEXT, "a".repeat(64));
    expect((frame[1] ?? 0) & 0x80).toBe(0x80);
    expect(frame.subarray(6).toString()).not.toBe("a".repeat(64));
  });

  it("waits for the rest of a frame that arrives one byte at a time", () => {
    const bytes = Buffer.concat([encodeFrame(OP_TEXT, "hello"), encodeFrame(OP_PING, "p")]);
    const parser = new FrameParser();
    const frames = [...bytes].flatMap((byte) => parser.push(Buffer.from([byte])));
    expect(frames.map((frame) => [frame.opcode, frame.payload.toString()])).toEqual([
      [OP_TEXT, "hello"],
      [OP_PING, "p"],
    ]);
    expect(parser.pendingBytes).toBe(0);
  });

  it("parses a close payload's code and reason, and keeps a reason's raw bytes", () => {
    expect(parseClose(closePayload(4000, "bye"))).toEqual({
      code: 4000,
      reason: "bye",
      reasonBytes: Buffer.from("bye"),
    });
    expect(parseClose(Buffer.alloc(0))).toEqual({ code: null, reason: "", reasonBytes: Buffer.alloc(0) });
    expect(parseClose(Buffer.from([3])).code).toBeNull();
    expect(parseClose(closePayload(1000, Buffer.from([0xff]))).reasonBytes).toEqual(Buffer.from([0xff]));
  });
});

describe("against the ws server", () => {
  let wss: WebSocketServer;
  let http: Server;
  let wsUrl: string;
  let httpUrl: string;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(wss, "listening");
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on("connection", (socket) => {
      socket.on("message", (data, binary) => {
        if (data.toString() === "fragment me") {
          socket.send("frag", { fin: false });
          socket.send("ment", { fin: true });
        } else if (data.toString() === "close me") socket.close(4001, "as asked");
        else socket.send(data, { binary });
      });
    });
    http = createServer((request, response) => {
      if (request.url === "/chunked") response.writeHead(403).end("chunked refusal");
      else response.writeHead(403, { "Content-Length": "7" }).end("refused");
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    httpUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    wss.close();
    http.close();
  });

  it("receives 101 with the Sec-WebSocket-Accept computed from the key it sent", async () => {
    const response = await rawUpgrade(wsUrl);
    expect(response.status).toBe(101);
    expect(response.headers["sec-websocket-accept"]).toBe(acceptFor(response.key ?? ""));
    response.socket?.destroy();
  });

  it("sends a fragmented message with a ping between fragments that the server takes whole", async () => {
    const socket = await openRaw(wsUrl);
    socket.send(OP_TEXT, "hel", { fin: false });
    socket.send(OP_PING, "between");
    socket.send(OP_CONTINUATION, "lo");
    const pong = await socket.nextFrame();
    expect([pong.opcode, pong.payload.toString()]).toEqual([OP_PONG, "between"]);
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("hello") });
    socket.destroy();
  });

  it("joins a message the server sends in fragments", async () => {
    const socket = await openRaw(wsUrl);
    socket.send(OP_TEXT, "fragment me");
    expect(await socket.nextMessage()).toEqual({ type: "text", data: Buffer.from("fragment") });
    socket.destroy();
  });

  it("reads the server's close code and reason, and sees the TCP connection end", async () => {
    const socket = await openRaw(wsUrl);
    socket.send(OP_TEXT, "close me");
    expect(await socket.waitForClose()).toMatchObject({ code: 4001, reason: "as asked" });
    socket.sendClose(4001);
    await socket.waitForEnd();
  });

  it("fails a wait for a close with a message naming the frame that came instead", async () => {
    const socket = await openRaw(wsUrl);
    socket.send(OP_BINARY, Buffer.from([1, 2]));
    await expect(socket.waitForClose()).rejects.toThrow("expected a close frame, got binary frame of 2 bytes");
    socket.destroy();
  });

  it("times out a wait for a frame with a message naming the likely cause", async () => {
    const socket = await openRaw(wsUrl);
    await expect(socket.nextFrame(50, "the echo was dropped")).rejects.toThrow("the echo was dropped");
    socket.sendClose(1000);
    expect((await socket.nextFrame()).opcode).toBe(OP_CLOSE);
    socket.destroy();
  });

  it("reads a refusal's status and body, sized or chunked", async () => {
    const sized = await rawUpgrade(httpUrl);
    expect([sized.status, sized.body, sized.socket]).toEqual([403, "refused", null]);
    const chunked = await rawUpgrade(httpUrl, { path: "/chunked" });
    expect([chunked.status, chunked.body]).toEqual([403, "chunked refusal"]);
  });
});
