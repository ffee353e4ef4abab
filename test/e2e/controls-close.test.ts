/**
 * Closes asked for by test controls, seen on the wire under `wrangler dev`: the asked
 * code and reason at the asked point (`after`, `after_ms`), and `drop`'s connection
 * that ends with no close frame at all.
 */
import { describe, expect, inject, it } from "vitest";
import { rawConnector } from "./raw-connector.ts";
import { OP_TEXT } from "./raw-frames.ts";
import { openClient, waitForClose, waitForMessages } from "./ws-client.ts";

const wsUrl = inject("wsUrl");
const connect = rawConnector(wsUrl);

describe("close=CODE", () => {
  it.each([1000, 1001, 1011, 1012, 1013, 1014, 3000, 4001, 4999])(
    "sends close %i with the reason as the first frame when no after is given",
    async (code) => {
      const socket = await connect(`/ws?close=${code}&reason=asked+${code}`);
      expect(await socket.waitForClose()).toMatchObject({ code, reason: `asked ${code}` });
      socket.sendClose(code);
      await socket.waitForEnd();
    },
  );

  it("closes right after the N-th echo: the next frame after three echoes is the close", async () => {
    const socket = await connect("/ws?close=4001&reason=bye&after=3");
    for (let i = 1; i <= 5; i++) socket.send(OP_TEXT, `m${i}`);
    for (let i = 1; i <= 3; i++) expect((await socket.nextMessage()).data.toString()).toBe(`m${i}`);
    expect(await socket.waitForClose()).toMatchObject({ code: 4001, reason: "bye" });
  });

  it("reaches a ws client as the asked code and reason", async () => {
    const client = await openClient(`${wsUrl}/ws?close=4001&reason=${encodeURIComponent("no more: ü")}&after=2`);
    client.ws.send("a");
    client.ws.send("b");
    client.ws.send("c");
    expect(await waitForClose(client)).toEqual({ code: 4001, reason: "no more: ü" });
    expect(client.received.map((m) => m.data.toString())).toEqual(["a", "b"]);
  });

  it("closes no earlier than after_ms after the upgrade was asked for", async () => {
    const asked = performance.now();
    const socket = await connect("/ws?close=1012&reason=restarting&after_ms=500");
    socket.send(OP_TEXT, "still open");
    expect((await socket.nextMessage()).data.toString()).toBe("still open");
    expect(await socket.waitForClose()).toMatchObject({ code: 1012, reason: "restarting" });
    expect(performance.now() - asked).toBeGreaterThanOrEqual(500);
  });
});

describe("drop=N", () => {
  it("ends the TCP connection with no close frame when the N-th message arrives", async () => {
    const socket = await connect("/ws?drop=2");
    socket.send(OP_TEXT, "one");
    expect((await socket.nextMessage()).data.toString()).toBe("one");
    socket.send(OP_TEXT, "two");
    await expect(socket.nextFrame()).rejects.toThrow(/expected a frame, but the server closed the TCP connection/);
  });

  it("is seen by a ws client as 1006", async () => {
    const client = await openClient(`${wsUrl}/ws?drop=1`);
    client.ws.send("cut");
    expect((await waitForClose(client)).code).toBe(1006);
  });

  it("leaves the service serving", async () => {
    const client = await openClient(`${wsUrl}/ws`);
    client.ws.send("still here");
    expect((await waitForMessages(client, 1))[0]?.data.toString()).toBe("still here");
    client.ws.close(1000);
    await client.closed;
  });
});
