/**
 * The page's Test controls card in a real Chromium against `wrangler dev`: the URL the fields
 * make, Connect with these, pushes in the log as their own direction, a server close, a delayed
 * echo's round trip, and a missing or out-of-order push flagged (from a local server that skips).
 */
import { once } from "node:events";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { WebSocketServer } from "ws";
import { rowData, waitForRow, waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";

const session = browserSession();

/** Opens the client, waits for its first socket, and turns off reconnecting so a server close stays closed. */
async function openClient(): Promise<Page> {
  const { page } = await session.open(`${inject("httpUrl")}/`);
  await waitForStatus(page, "open");
  await page.click("summary");
  await page.uncheck("#auto-reconnect");
  return page;
}

/** Waits until the log has `count` rows of direction `dir`; returns their data cells. */
async function waitForRows(page: Page, dir: string, count: number): Promise<string[]> {
  const selector = `#log li[data-dir="${dir}"]`;
  await page
    .waitForFunction(([sel, n]) => document.querySelectorAll(sel).length >= n, [selector, count] as const, {
      timeout: 10_000,
    })
    .catch(async () => {
      throw new Error(`${(await rowData(page, dir)).length} of ${count} "${dir}" rows in 10 s: pushes lost?`);
    });
  return rowData(page, dir);
}

/** Fills the card's fields by parameter name. */
async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await page.fill(`#controls-form [name="${name}"]`, value);
}

describe("the Test controls card", () => {
  it("previews the URL its fields make, on the socket's host, leaving out a field without its control", async () => {
    const page = await openClient();
    const ws = `${inject("wsUrl")}/ws`;
    expect(await page.textContent("#controls-url")).toBe(ws);
    await fill(page, { delay: "100", jitter: "50", interval: "20", reason: "bye now" });
    expect(await page.textContent("#controls-url")).toBe(`${ws}?delay=100&jitter=50`);
    await fill(page, { push: "5", close: "4001" });
    await page.check('#controls-form [name="hello"]');
    expect(await page.textContent("#controls-url")).toBe(
      `${ws}?delay=100&jitter=50&close=4001&push=5&interval=20&reason=bye+now&hello=1`,
    );
  });

  it("refuses out-of-range values and drop with close inline, and keeps the socket it has", async () => {
    const page = await openClient();
    await fill(page, { delay: "70000" });
    await page.click("#controls-form button[type=submit]");
    expect(await page.textContent("#controls-error")).toMatch(/^delay: .*60000/);
    await fill(page, { delay: "", status: "418" });
    await page.click("#controls-form button[type=submit]");
    expect(await page.textContent("#controls-error")).toMatch(/^status: /);
    await fill(page, { status: "", drop: "2", close: "4000" });
    await page.click("#controls-form button[type=submit]");
    expect(await page.textContent("#controls-error")).toBe("drop and close cannot be combined");
    expect(await page.inputValue("#url")).toBe(`${inject("wsUrl")}/ws`);
    expect(await page.getAttribute("#status", "data-state")).toBe("open");
  });

  it("connects with these, logs pushes as their own direction with their number, and a server close", async () => {
    const page = await openClient();
    await fill(page, { push: "3", interval: "50", close: "4001", reason: "bye now", after_ms: "1000" });
    await page.click("#controls-form button[type=submit]");
    expect(await page.textContent("#controls-error")).toBe("");
    await waitForStatus(page, "open");
    expect(await page.inputValue("#url")).toBe(
      `${inject("wsUrl")}/ws?close=4001&after_ms=1000&push=3&interval=50&reason=bye+now`,
    );
    const pushes = await waitForRows(page, "push", 3);
    expect(pushes.map((text) => text.split(" · ")[0])).toEqual(["#1 of 3", "#2 of 3", "#3 of 3"]);
    expect(pushes[2]).toMatch(/^#3 of 3 · \{"push":3,"of":3,"at":\d+,"pad":""\}$/);
    expect(await page.locator('#log li[data-dir="push"].bad').count()).toBe(0);
    expect(await waitForStatus(page, "closed")).toBe("Closed 4001 (application): bye now");
    expect(await rowData(page, "info")).toContain("closed: 4001 (application): bye now");
  });

  it("shows a delayed echo with its round trip, pushes beside it not taken for the echo", async () => {
    const page = await openClient();
    await fill(page, { delay: "300", push: "2", interval: "100" });
    await page.click("#controls-form button[type=submit]");
    await waitForStatus(page, "open");
    await page.click("#send");
    const echo = await waitForRow(page, "echo", "hello world!");
    const [value = "", unit] = echo.rtt.split(" ");
    expect(unit).toBe("ms");
    expect(Number(value)).toBeGreaterThanOrEqual(300);
    expect(await waitForRows(page, "push", 2)).toHaveLength(2);
  });

  it("flags a missing push and one out of order", async () => {
    // A local server standing in for one that loses and reorders: pushes 1, 3, 2.
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(server, "listening");
    server.on("connection", (socket) => {
      for (const seq of [1, 3, 2]) socket.send(JSON.stringify({ push: seq, of: 3, at: Date.now(), pad: "" }));
    });
    try {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("the local server has no port");
      const url = `ws://127.0.0.1:${address.port}/ws?push=3`;
      session.allowForeign(url);
      const page = await openClient();
      await page.fill("#url", url);
      await page.click("#connect");
      expect((await waitForRows(page, "push", 3)).map((text) => text.split(" · ")[0])).toEqual([
        "#1 of 3",
        "#3 of 3, expected #2",
        "#2 of 3, expected #4",
      ]);
      expect(await page.locator('#log li[data-dir="push"].bad').count()).toBe(2);
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise((done) => server.close(done));
    }
  });
});
