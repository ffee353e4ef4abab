/**
 * The page's Room card lists who is here, in a real Chromium: two tabs join a room under
 * their names (`?client=`), each lists both; one leaves, and the other's list drops it.
 */
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";

const session = browserSession();

async function tab(room: string, name: string): Promise<Page> {
  const { page } = await session.open(`${inject("httpUrl")}/`);
  await waitForStatus(page, "open");
  await page.fill("#room", room);
  await page.fill("#room-client", name);
  await page.click("#join");
  expect(await waitForStatus(page, "open")).toBe(`Open · room ${room}`);
  return page;
}

/** The ids the Room card lists, once they are `expected`. */
async function listed(page: Page, expected: string[]): Promise<string[]> {
  await page.waitForFunction(
    (ids) =>
      JSON.stringify([...document.querySelectorAll("#presence li")].map((li) => li.getAttribute("data-id")).sort()) ===
      JSON.stringify(ids),
    [...expected].sort(),
  );
  return page.$$eval("#presence li", (items) => items.map((li) => li.textContent ?? ""));
}

describe("the page's Room card", () => {
  it("shows two tabs joining, and one leaving", async () => {
    const room = `here-${Date.now()}`;
    const ann = await tab(room, "ann");
    expect(await listed(ann, ["ann"])).toEqual(["ann"]);
    const ben = await tab(room, "ben");
    expect(await listed(ben, ["ann", "ben"])).toHaveLength(2);
    expect(await listed(ann, ["ann", "ben"])).toHaveLength(2);
    expect(await ann.textContent("#presence-count")).toBe("2");
    // The member count follows joins and leaves too, not only messages.
    await ann.waitForFunction(() => document.querySelector("#members")?.textContent === "2", null, { timeout: 15_000 });

    await ben.click("#leave");
    expect(await listed(ann, ["ann"])).toEqual(["ann"]);
    expect(await ann.textContent("#presence-count")).toBe("1");
    await ann.waitForFunction(() => document.querySelector("#members")?.textContent === "1", null, { timeout: 15_000 });
    expect(await listed(ben, [])).toEqual([]);
  });
});
