/**
 * Test controls that act on the handshake, through `wrangler dev`'s proxy: refusals
 * with their status and `Retry-After`, 400s naming a bad control, and a subprotocol
 * the client never offered.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { rawUpgrade, type UpgradeResponse } from "./raw-upgrade.ts";
import { openClient } from "./ws-client.ts";

const wsUrl = inject("wsUrl");
const upgrades: UpgradeResponse[] = [];

afterEach(() => {
  for (const response of upgrades.splice(0)) response.socket?.destroy();
});

async function upgrade(path: string, headers: Record<string, string> = {}): Promise<UpgradeResponse> {
  const response = await rawUpgrade(wsUrl, { path, headers });
  upgrades.push(response);
  return response;
}

describe("status", () => {
  it.each([400, 401, 403, 404, 429, 500, 502, 503])(
    "refuses the handshake with %i and a one-line body",
    async (status) => {
      const response = await upgrade(`/ws?status=${status}`);
      expect(response.status).toBe(status);
      expect(response.socket).toBeNull();
      expect(response.body).toBe(`handshake refused with ${status} as asked (status=${status})\n`);
      expect(response.headers["retry-after"]).toBeUndefined();
    },
  );

  it.each([
    [503, 30],
    [429, 5],
  ])("answers %i with Retry-After: %i", async (status, seconds) => {
    const response = await upgrade(`/ws?status=${status}&retry_after=${seconds}`);
    expect(response.status).toBe(status);
    expect(response.headers["retry-after"]).toBe(String(seconds));
  });

  it("makes a ws client's open fail with that status", async () => {
    await expect(openClient(`${wsUrl}/ws?status=503&retry_after=30`)).rejects.toThrow("upgrade refused with 503");
  });
});

describe("a bad control", () => {
  it.each([
    ["/ws?delay=abc", 'delay must be an integer from 0 to 60000 ms, got "abc"'],
    ["/?close=1006", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1006"'],
    ["/ws?interval=100", "interval needs push=N"],
    ["/ws?push=10000&push_size=65536", "push × push_size must be at most 67108864 bytes (64 MiB)"],
  ])("%s gets 400 with the reason", async (path, reason) => {
    const response = await upgrade(path);
    expect(response.status).toBe(400);
    expect(response.socket).toBeNull();
    expect(response.body).toContain(reason);
  });
});

describe("protocol", () => {
  it("answers a subprotocol the client did not offer: the dev proxy passes it on", async () => {
    const response = await upgrade("/ws?protocol=never.offered");
    expect(response.status).toBe(101);
    expect(response.headers["sec-websocket-protocol"]).toBe("never.offered");
  });

  it("answers the forced one instead of the client's offer", async () => {
    const response = await upgrade("/ws?protocol=b", { "Sec-WebSocket-Protocol": "a" });
    expect(response.headers["sec-websocket-protocol"]).toBe("b");
  });

  it("answers none with protocol=none though the client offered one", async () => {
    const response = await upgrade("/ws?protocol=none", { "Sec-WebSocket-Protocol": "a" });
    expect(response.status).toBe(101);
    expect(response.headers["sec-websocket-protocol"]).toBeUndefined();
  });

  it("makes a conforming client fail the connection, as RFC 6455 §4.1 requires", async () => {
    await expect(openClient(`${wsUrl}/ws?protocol=mismatch`)).rejects.toThrow(
      "Server sent a subprotocol but none was requested",
    );
    await expect(openClient(`${wsUrl}/ws?protocol=b`, {}, ["a"])).rejects.toThrow("Server sent an invalid subprotocol");
    await expect(openClient(`${wsUrl}/ws?protocol=none`, {}, ["a"])).rejects.toThrow("Server sent no subprotocol");
  });
});
