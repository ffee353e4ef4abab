/**
 * Headless Chromium driven by playwright-core, for the browser tests and the screenshot
 * script. Which Chromium: see chromium.ts (never a download).
 */
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { CHROMIUM_FLAGS, chromiumExecutable } from "./chromium.ts";

/** Launches headless Chromium with nothing that phones home. */
export async function launchBrowser(): Promise<Browser> {
  const { path } = await chromiumExecutable();
  return chromium.launch({ executablePath: path, headless: true, args: [...CHROMIUM_FLAGS] });
}

/** A page plus what it did that a clean page must not: console errors, uncaught exceptions, foreign requests. */
export interface WatchedPage {
  readonly page: Page;
  /** Console messages of type error, uncaught exceptions, and responses with status 400 or more. */
  readonly errors: string[];
  /** URLs requested from an origin other than the page's. */
  readonly foreignRequests: string[];
  /** Closes the page's browser context, and with it its sockets. */
  close(): Promise<void>;
}

/** Opens `url` in a new context of `browser`, recording errors and requests to other origins from the start. */
export async function openPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = { viewport: { width: 1280, height: 800 } },
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const { origin, host } = new URL(url);
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== origin) foreignRequests.push(request.url());
  });
  // The socket's origin is ws://host, not the page's http://host: compare hosts.
  page.on("websocket", (socket) => {
    if (new URL(socket.url()).host !== host) foreignRequests.push(socket.url());
  });
  await page.goto(url);
  return { page, errors, foreignRequests, close: () => context.close() };
}

/** The cells of one log row, as the page shows them. */
export interface LogRow {
  dir: string;
  type: string;
  size: string;
  rtt: string;
  data: string;
}

const WAIT_MS = 10_000;

/** Waits until `#status` is in `state`; returns its text read in that same moment. */
export async function waitForStatus(page: Page, state: string, timeoutMs = WAIT_MS): Promise<string> {
  try {
    const handle = await page.waitForFunction(
      (wanted) => {
        const status = document.getElementById("status");
        return status?.dataset.state === wanted ? status.textContent : null;
      },
      state,
      { timeout: timeoutMs },
    );
    return String(await handle.jsonValue());
  } catch {
    const shown = await page.locator("#status").textContent();
    throw new Error(
      `#status did not become "${state}" within ${timeoutMs} ms; it shows "${shown}": is wrangler dev up, and did app.js load?`,
    );
  }
}

/** Waits for the first log row with direction `dir` whose data is exactly `data`; returns its cells. */
export async function waitForRow(page: Page, dir: string, data: string, timeoutMs = WAIT_MS): Promise<LogRow> {
  try {
    const handle = await page.waitForFunction(
      ([wantedDir, wantedData]) => {
        for (const li of document.querySelectorAll(`#log li[data-dir="${wantedDir}"]`)) {
          const cell = (name: string) => li.querySelector(`.${name}`)?.textContent ?? "";
          if (cell("data") === wantedData)
            return { dir: cell("dir"), type: cell("type"), size: cell("size"), rtt: cell("rtt"), data: cell("data") };
        }
        return null;
      },
      [dir, data] as const,
      { timeout: timeoutMs },
    );
    const row = await handle.jsonValue();
    if (row !== null) return row;
  } catch {
    // reported below, with what the log does show
  }
  const shown = await page.locator("#log li").allTextContents();
  throw new Error(
    `no "${dir}" row with data ${JSON.stringify(data)} within ${timeoutMs} ms; the log's last rows: ${JSON.stringify(shown.slice(-5))}: was the socket open?`,
  );
}

/**
 * The data cells of every row with direction `dir`, in log order. The page adds rows once per
 * animation frame, so a status already shown can be ahead of its row: waiting for the next frame
 * first lets any flush queued before this call run (frame callbacks run in the order asked).
 */
export async function rowData(page: Page, dir: string): Promise<string[]> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));
  return page.locator(`#log li[data-dir="${dir}"] .data`).allTextContents();
}
