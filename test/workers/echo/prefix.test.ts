import { describe, expect, it } from "vitest";
import { bytesOf, connect, finish, waitForMessages } from "../helpers";

describe("ECHO_PREFIX", () => {
  it("replies in the original server's format: prefix then message, type kept", async () => {
    const socket = await connect("/ws", { ECHO_PREFIX: "received: " });
    socket.send("hello world!");
    socket.send(new Uint8Array([1, 2, 3]));
    const [text, binary] = await waitForMessages(socket, 2);
    expect(text).toBe("received: hello world!");
    expect(bytesOf(binary)).toEqual([...new TextEncoder().encode("received: "), 1, 2, 3]);
    await finish(socket);
  });

  it("puts a unicode prefix's UTF-8 bytes before a binary payload", async () => {
    const socket = await connect("/ws", { ECHO_PREFIX: "→ " });
    socket.send(new Uint8Array([0xff]));
    const [binary] = await waitForMessages(socket, 1);
    expect(bytesOf(binary)).toEqual([0xe2, 0x86, 0x92, 0x20, 0xff]);
    await finish(socket);
  });

  it("is empty by default: a pure echo", async () => {
    const socket = await connect("/ws");
    socket.send("plain");
    expect(await waitForMessages(socket, 1)).toEqual(["plain"]);
    await finish(socket);
  });
});
