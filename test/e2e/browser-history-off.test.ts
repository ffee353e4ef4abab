/**
 * The page's room mode on a server that keeps no history (`ROOM_HISTORY_MESSAGES=0`), in a
 * real Chromium: it sees `"history": 0` in `GET /rooms/:name` and joins as a plain member,
 * since a positioned join would be refused.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForRow, waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";
import { type DevServer, startDevServer } from "./dev-server.ts";

const session = browserSession();
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ ROOM_HISTORY_MESSAGES: "0" });
});

afterAll(() => server?.stop());

async function member(room: string): Promise<Page> {
  const { page } = await session.open(`${server.httpUrl}/`);
  await waitForStatus(page, "open");
  await page.fill("#room", room);
  await page.click("#join");
  expect(await waitForStatus(page, "open")).toBe(`Open · room ${room}`);
  return page;
}

describe("the page in a room, with history off", () => {
  it("joins as a plain member, and two pages hear each other", async () => {
    const room = `plain-${Date.now()}`;
    const alice = await member(room);
    const bob = await member(room);
    expect(await alice.inputValue("#url")).toBe(`${server.wsUrl}/rooms/${room}`);
    await alice.fill("#message", "no history here");
    await alice.click("#send");
    expect(await waitForRow(bob, "peer", "no history here")).toMatchObject({ type: "text" });
  });
});
