/**
 * The client page's files as Chromium fetches them: every ES module fetched straight from
 * index.html (app.js by its script tag, the rest by modulepreload links), never discovered
 * one level of imports at a time, and no script or stylesheet in public/ left out of the page;
 * the npm package's files beside the rooms client (public/client/) are not served.
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, openPage, waitForStatus } from "./browser.ts";

const PUBLIC = resolve(import.meta.dirname, "../../public");

/** `/path` for each file under public/ (its folders included) ending in `extension`, sorted. */
function publicFiles(extension: string): string[] {
  return readdirSync(PUBLIC, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(extension))
    .map((name) => `/${name}`)
    .sort();
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("the page's files", () => {
  it("fetches every module in public/ once, each started by the page itself rather than by another module's import", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // The DevTools protocol names what started each request: an import names the importing module.
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      const fetched: string[] = [];
      cdp.on("Network.requestWillBeSent", ({ request, initiator }) => {
        const { pathname } = new URL(request.url);
        if (pathname.endsWith(".js"))
          fetched.push(`${pathname} ${initiator.url?.endsWith(".js") ? "imported" : "page"}`);
      });
      await page.goto(`${inject("httpUrl")}/`);
      await waitForStatus(page, "open");
      expect(fetched.toSorted(), "a module missing a <link rel=modulepreload> in index.html shows as imported").toEqual(
        publicFiles(".js").map((path) => `${path} page`),
      );
    } finally {
      await context.close();
    }
  });

  it("preloads every module but the entry, and links every stylesheet, all from public/", async () => {
    const watched = await openPage(browser, `${inject("httpUrl")}/`);
    try {
      const linked = (rel: string) =>
        watched.page.$$eval(`link[rel="${rel}"]`, (links) =>
          links.map((link) => new URL((link as HTMLLinkElement).href).pathname).sort(),
        );
      expect(await linked("modulepreload")).toEqual(publicFiles(".js").filter((path) => path !== "/app.js"));
      expect(await linked("stylesheet")).toEqual(publicFiles(".css"));
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it("serves the rooms client's modules but not the npm package's manifest and README beside them", async () => {
    const status = async (path: string) => (await fetch(`${inject("httpUrl")}${path}`)).status;
    expect(await status("/client/room-client.js")).toBe(200);
    expect(await status("/client/package.json")).toBe(404);
    expect(await status("/client/README.md")).toBe(404);
  });
});
