import { describe, expect, it } from "vitest";
import { PLATFORM_MAX_MESSAGE_BYTES } from "../../../src/config";
import { connect, finish, waitForClose, waitForMessage } from "../helpers";

describe("the close handshake", () => {
  it.each([
    [1000, "bye"],
    [1001, "navigating away"],
    [1003, "cannot take binary"],
    [1008, "policy"],
    [1011, "client error"],
    [3000, "registered"],
    [4000, "application code"],
    [4999, "last private code"],
  ])("answers a client's close %i with the same code and reason", async (code, reason) => {
    const socket = await connect("/ws");
    const closed = waitForClose(socket);
    socket.close(code, reason);
    const event = await closed;
    expect(event.code).toBe(code);
    expect(event.reason).toBe(reason);
  });

  it("answers a close with a 123-byte reason with the same reason", async () => {
    const socket = await connect("/ws");
    const reason = `${"é".repeat(61)}x`; // 123 bytes of UTF-8
    const closed = waitForClose(socket);
    socket.close(4001, reason);
    expect((await closed).reason).toBe(reason);
  });

  it("answers a close without a code with 1000, never the reserved 1005", async () => {
    const socket = await connect("/ws");
    const closed = waitForClose(socket);
    socket.close();
    expect((await closed).code).toBe(1000);
  });
});

describe("MAX_MESSAGE_BYTES", () => {
  it("closes with 1009 and a reason when a text message is over the configured cap", async () => {
    const socket = await connect("/ws", { MAX_MESSAGE_BYTES: "16" });
    socket.send("sixteen bytes ok");
    expect(await waitForMessage(socket)).toBe("sixteen bytes ok");
    const closed = waitForClose(socket);
    socket.send("seventeen bytes!!");
    const event = await closed;
    expect(event.code).toBe(1009);
    expect(event.reason).toBe("message of 17 bytes exceeds the 16-byte limit");
  });

  it("counts text in UTF-8 bytes, not characters", async () => {
    const socket = await connect("/ws", { MAX_MESSAGE_BYTES: "8" });
    const closed = waitForClose(socket);
    socket.send("ééééé"); // 5 characters, 10 bytes
    expect((await closed).code).toBe(1009);
  });

  it("closes with 1009 when a binary message is over the configured cap", async () => {
    const socket = await connect("/ws", { MAX_MESSAGE_BYTES: "1024" });
    const closed = waitForClose(socket);
    socket.send(new Uint8Array(1025));
    const event = await closed;
    expect(event.code).toBe(1009);
    expect(event.reason).toBe("message of 1025 bytes exceeds the 1024-byte limit");
  });

  it("closes with 1009 one byte over the platform's 32 MiB cap when no lower cap is set", async () => {
    const socket = await connect("/ws");
    const closed = waitForClose(socket);
    socket.send(new Uint8Array(PLATFORM_MAX_MESSAGE_BYTES + 1));
    expect((await closed).code).toBe(1009);
  }, 60_000);

  it("closes only the socket that sent the oversize message", async () => {
    const vars = { MAX_MESSAGE_BYTES: "4" };
    const offender = await connect("/ws", vars);
    const bystander = await connect("/ws", vars);
    const closed = waitForClose(offender);
    offender.send("too long");
    expect((await closed).code).toBe(1009);
    bystander.send("ok");
    expect(await waitForMessage(bystander)).toBe("ok");
    await finish(bystander);
  });
});

describe("MAX_MESSAGES_PER_SECOND", () => {
  it("closes with 1008 'rate limit' when a burst goes over the per-second budget", async () => {
    const socket = await connect("/ws", { MAX_MESSAGES_PER_SECOND: "5" });
    const closed = waitForClose(socket);
    for (let i = 0; i < 6; i++) socket.send(`burst ${i}`);
    const event = await closed;
    expect(event.code).toBe(1008);
    expect(event.reason).toBe("rate limit: over 5 messages per second");
  });

  it("echoes every message of a burst within the budget", async () => {
    const socket = await connect("/ws", { MAX_MESSAGES_PER_SECOND: "5" });
    for (let i = 0; i < 5; i++) socket.send(`burst ${i}`);
    for (let i = 0; i < 5; i++) expect(await waitForMessage(socket)).toBe(`burst ${i}`);
    await finish(socket);
  });
});
