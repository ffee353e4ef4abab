/**
 * One browser per test file and the pages its tests open: each page is closed after its
 * test, which then fails on any console error, uncaught exception, failed request, or
 * request to an origin other than the page's and those the test allowed.
 */
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { launchBrowser, openPage, type WatchedPage } from "./browser.ts";

export interface BrowserSession {
  /** The file's browser, launched in `beforeAll`. */
  readonly browser: Browser;
  /** Opens `url` in a fresh context, checked and closed after the test. */
  open(url: string, options?: BrowserContextOptions): Promise<WatchedPage>;
  /** Lets the current test's pages also reach `url` (a local server of its own). */
  allowForeign(url: string): void;
}

/** Registers the hooks; call once at the top of a browser test file. */
export function browserSession(): BrowserSession {
  let browser: Browser | undefined;
  let pages: WatchedPage[] = [];
  let allowed: string[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const opened = pages;
    const foreign = allowed;
    pages = [];
    allowed = [];
    await Promise.all(opened.map((p) => p.close()));
    for (const { errors, foreignRequests } of opened) {
      expect(errors, "console errors, uncaught exceptions or failed requests").toEqual([]);
      expect(foreignRequests, "requests to another origin").toEqual(foreign);
    }
  });
  const launched = (): Browser => {
    if (browser === undefined) throw new Error("the browser is not launched yet: use it inside a test or hook");
    return browser;
  };
  return {
    get browser() {
      return launched();
    },
    async open(url, options) {
      const watched = await openPage(launched(), url, options);
      pages.push(watched);
      return watched;
    },
    allowForeign(url) {
      allowed.push(url);
    },
  };
}
