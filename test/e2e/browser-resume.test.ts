/**
 * The page's room mode in a real Chromium, through a TCP proxy that drops its
 * connection: the page resumes by itself (public/client/room-client.js), says
 * "resumed, N messages replayed", and shows every message once; on a server whose
 * history is shorter than the gap, it says "could not recover".
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rowData, waitForRow, waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";
import { startDevServer } from "./dev-server.ts";
import { startProxy, type TcpProxy } from "./tcp-proxy.ts";
import { closeClient, openClient, waitForMessages } from "./ws-client.ts";

const session = browserSession();
let proxy: TcpProxy;

beforeAll(async () => {
  proxy = await startProxy(Number(new URL(inject("httpUrl")).port));
});

afterAll(() => proxy?.close());

describe("the page in a room, when its connection drops", () => {
  it("still shows the room's pong to its ping as an echo (a frame outside the envelopes)", async () => {
    const room = `resume-ping-${Date.now()}`;
    const { page } = await session.open(`${inject("httpUrl")}/`);
    await waitForStatus(page, "open");
    await page.fill("#room", room);
    await page.click("#join");
    await waitForStatus(page, "open");
    await page.fill("#message", "ping");
    await page.click("#send");
    await waitForRow(page, "echo", "pong");
  });

  it("resumes by itself and shows what it missed, once", async () => {
    const room = `resume-${Date.now()}`;
    const { page } = await session.open(`${proxy.httpUrl}/`);
    await waitForStatus(page, "open");
    await page.fill("#room", room);
    await page.click("#join");
    expect(await waitForStatus(page, "open")).toBe(`Open · room ${room}`);

    const sender = await openClient(`${inject("wsUrl")}/rooms/${room}`);
    const witness = await openClient(`${inject("wsUrl")}/rooms/${room}`);
    try {
      const send = async (from: number, to: number) => {
        const before = witness.received.length;
        for (let i = from; i < to; i++) sender.ws.send(`m${i}`);
        await waitForMessages(witness, before + (to - from));
      };
      await send(0, 3);
      await page.waitForFunction(() => document.querySelectorAll('#log li[data-dir="peer"]').length === 3);
      proxy.dropAll();
      await send(3, 7);
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll("#log li")].some((li) =>
            li.textContent?.includes("resumed, 4 messages replayed"),
          ),
        null,
        { timeout: 15_000 },
      );
      await waitForStatus(page, "open");
      expect(await rowData(page, "peer")).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    } finally {
      await closeClient(sender);
      await closeClient(witness);
    }
  });

  it("shows each message it sends as pending until the room acks it", async () => {
    const room = `acked-${Date.now()}`;
    const { page } = await session.open(`${proxy.httpUrl}/`);
    await waitForStatus(page, "open");
    await page.fill("#room", room);
    await page.click("#join");
    await waitForStatus(page, "open");
    // The room's answers are held on the way: the message is sent, its ack not yet received.
    proxy.hold();
    await page.fill("#message", "hello");
    await page.click("#send");
    await waitForRow(page, "sent", "hello");
    const pendingRow = '#log li[data-dir="sent"].pending';
    expect(await page.locator(pendingRow).count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await page.locator(pendingRow).count()).toBe(1);
    proxy.release();
    await page.waitForFunction((selector) => document.querySelector(selector) === null, pendingRow);
    expect(await page.locator('#log li[data-dir="sent"]').getAttribute("class")).toBe("sent");
  });

  it("says it could not recover when the room kept less than it missed", async () => {
    // The page joins with ?history=20, which a server keeping fewer refuses (400).
    const server = await startDevServer({ ROOM_HISTORY_MESSAGES: "20" });
    const short = await startProxy(server.port);
    const sender = await openClient(`${server.wsUrl}/rooms/short?echo=1`);
    try {
      const { page } = await session.open(`${short.httpUrl}/`);
      await waitForStatus(page, "open");
      await page.fill("#room", "short");
      await page.click("#join");
      expect(await waitForStatus(page, "open")).toBe("Open · room short");
      short.dropAll();
      for (let i = 0; i < 25; i++) sender.ws.send(`m${i}`);
      await waitForMessages(sender, 25);
      await page.waitForFunction(
        () => [...document.querySelectorAll("#log li")].some((li) => li.textContent?.includes("could not recover")),
        null,
        { timeout: 15_000 },
      );
      await waitForStatus(page, "open");
      expect(await rowData(page, "peer")).not.toContain("m0");
    } finally {
      await closeClient(sender);
      await short.close();
      await server.stop();
    }
  });
});
