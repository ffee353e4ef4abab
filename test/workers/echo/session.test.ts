import { describe, expect, it } from "vitest";
import { PLATFORM_MAX_MESSAGE_BYTES } from "../../../src/config";
import {
  bytesOf,
  connect,
  finish,
  payload,
  UNLIMITED_MESSAGES,
  waitForClose,
  waitForMessage,
  waitForMessages,
} from "../helpers";

describe("the echo", () => {
  it("sends a text message back as the same text", async () => {
    const socket = await connect("/ws");
    socket.send("hello world!");
    expect(await waitForMessage(socket)).toBe("hello world!");
    await finish(socket);
  });

  it("sends a binary message back as the same bytes, as binary", async () => {
    const socket = await connect("/ws");
    socket.send(new Uint8Array([0, 1, 127, 128, 255]));
    expect(bytesOf(await waitForMessage(socket))).toEqual([0, 1, 127, 128, 255]);
    await finish(socket);
  });

  it("echoes empty text as empty text and empty binary as empty binary", async () => {
    const socket = await connect("/ws");
    socket.send("");
    socket.send(new Uint8Array(0));
    const [text, binary] = await waitForMessages(socket, 2);
    expect(text).toBe("");
    expect(bytesOf(binary)).toEqual([]);
    await finish(socket);
  });

  it("keeps unicode text intact: accents, CJK, emoji and astral characters", async () => {
    const socket = await connect("/ws");
    const text = "héllo 世界 👋🏽 𝄞 \u0000 end";
    socket.send(text);
    expect(await waitForMessage(socket)).toBe(text);
    await finish(socket);
  });

  it("keeps the order and the type of interleaved text and binary messages", async () => {
    const socket = await connect("/ws", UNLIMITED_MESSAGES);
    const sent: (string | number[])[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) {
        socket.send(new Uint8Array([i & 0xff, i >> 8]));
        sent.push([i & 0xff, i >> 8]);
      } else {
        socket.send(`message ${i}`);
        sent.push(`message ${i}`);
      }
    }
    const received = await waitForMessages(socket, sent.length);
    expect(received.map((m) => (typeof m === "string" ? m : bytesOf(m)))).toEqual(sent);
    await finish(socket);
  });

  it("echoes the same way on / as on /ws, as the original page connected to ws://host/", async () => {
    const socket = await connect("/");
    socket.send("on the root path");
    socket.send(new Uint8Array([9, 8, 7]));
    const [text, binary] = await waitForMessages(socket, 2);
    expect(text).toBe("on the root path");
    expect(bytesOf(binary)).toEqual([9, 8, 7]);
    await finish(socket);
  });

  it("echoes a 1 MiB binary message byte for byte", async () => {
    const socket = await connect("/ws");
    const data = payload(1024 * 1024, 7);
    socket.send(data);
    const echoed = await waitForMessage(socket);
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(echoed as ArrayBuffer)).toEqual(data);
    await finish(socket);
  });

  it("echoes a message of exactly the platform's 32 MiB cap", async () => {
    const socket = await connect("/ws");
    const data = payload(PLATFORM_MAX_MESSAGE_BYTES, 3);
    socket.send(data);
    const echoed = await waitForMessage(socket);
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect((echoed as ArrayBuffer).byteLength).toBe(PLATFORM_MAX_MESSAGE_BYTES);
    expect(Buffer.compare(new Uint8Array(echoed as ArrayBuffer), data)).toBe(0);
    await finish(socket);
  }, 60_000);

  it("echoes a 4 MiB text message whole", async () => {
    const socket = await connect("/ws");
    const text = "0123456789abcdef".repeat(256 * 1024);
    socket.send(text);
    expect(await waitForMessage(socket)).toBe(text);
    await finish(socket);
  });

  it("keeps echoing one socket while another client goes away with an error code", async () => {
    const victim = await connect("/ws");
    const survivor = await connect("/ws");
    victim.send("about to go");
    await waitForMessage(victim);
    const victimClosed = waitForClose(victim);
    victim.close(1011, "client crashed");
    expect((await victimClosed).code).toBe(1011);
    survivor.send("still here");
    expect(await waitForMessage(survivor)).toBe("still here");
    await finish(survivor);
  });
});
