import { afterEach, describe, expect, it, vi } from "vitest";
import { connect, EVENTUALLY, finish, waitForMessages } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("connection logs", () => {
  it("writes one JSON line when a connection ends, with counts each way, and none per message", async () => {
    const log = vi.spyOn(console, "log");
    // Through the handler directly, so the session runs in this isolate where the spy is.
    const socket = await connect("/ws", {});
    socket.send("abc");
    socket.send(new Uint8Array(5));
    await waitForMessages(socket, 2);
    expect(log).not.toHaveBeenCalled();
    await finish(socket);
    await vi.waitFor(() => expect(log).toHaveBeenCalledTimes(1), EVENTUALLY);
    const line: unknown = JSON.parse(String(log.mock.calls[0]?.[0]));
    expect(line).toMatchObject({
      event: "echo_connection_closed",
      path: "/ws",
      code: 1000,
      closedBy: "client",
      messagesIn: 2,
      messagesOut: 2,
      bytesIn: 8,
      bytesOut: 8,
    });
    expect(line).toHaveProperty("durationMs", expect.any(Number));
  });

  it("records a server-side close with its code", async () => {
    const log = vi.spyOn(console, "log");
    const socket = await connect("/ws", { MAX_MESSAGE_BYTES: "1" });
    socket.send("too big");
    await vi.waitFor(() => expect(log).toHaveBeenCalledTimes(1), EVENTUALLY);
    expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({ code: 1009, closedBy: "server" });
  });
});
