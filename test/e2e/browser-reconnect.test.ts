/**
 * When the page comes back by itself, in a real Chromium against `wrangler dev`: only
 * after a close that invites it (1012 at once, 1013 later), never after a close the
 * user asked for, 1000, a policy close or an application's code; then it says why.
 * The echo's test controls make the server close (`?close=CODE&after=0`, docs/controls.md).
 */
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";

const session = browserSession();

/** The page, connected to an echo socket the server closes with `code` as soon as it opens. */
async function closedBy(code: number): Promise<Page> {
  const { page } = await session.open(`${inject("httpUrl")}/`);
  await waitForStatus(page, "open");
  await page.fill("#url", `${inject("wsUrl")}/ws?close=${code}&after=0`);
  await page.click("#connect");
  await page.waitForFunction((c) => document.querySelector("#status")?.textContent?.includes(`Closed ${c}`), code, {
    timeout: 10_000,
  });
  return page;
}

/** The countdown's text, or null while none is shown. */
function countdown(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const retry = document.querySelector<HTMLElement>("#retry");
    return retry === null || retry.hidden ? null : retry.textContent;
  });
}

describe("the page's reconnect rules", () => {
  it("comes back after 1012 (service restart), within the first backoff", async () => {
    const page = await closedBy(1012);
    expect(await countdown(page)).toMatch(/^Reconnecting in 1 s \(attempt 1\)$/);
  });

  it("waits longer after 1013 (try again later)", async () => {
    const page = await closedBy(1013);
    const text = await countdown(page);
    const seconds = Number(/in (\d+) s/.exec(text ?? "")?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(3);
  });

  it.each([
    [4001, "an application's code"],
    [1008, "a policy violation"],
    [1000, "a normal closure"],
  ])("stops after %i (%s), says why, and offers Connect again", async (code) => {
    const page = await closedBy(code);
    expect(await countdown(page)).toBeNull();
    expect(await page.textContent("#status")).toContain("not reconnecting: the server's answer would be the same");
    await page.waitForTimeout(1_500);
    expect(await page.textContent("#status")).toContain(`Closed ${code}`);
    expect(await page.isEnabled("#connect")).toBe(true);
  });

  it("stays closed after a close the user asked for", async () => {
    const { page } = await session.open(`${inject("httpUrl")}/`);
    await waitForStatus(page, "open");
    await page.click("#disconnect");
    await waitForStatus(page, "closed");
    await page.waitForTimeout(1_500);
    expect(await countdown(page)).toBeNull();
    expect(await page.getAttribute("#status", "data-state")).toBe("closed");
  });
});
