/**
 * Writes docs/client.png: the browser client on a fresh `wrangler dev`, connected,
 * with a text and a binary message and their echoes in the log, then the Test controls
 * card asking for a delayed echo and pushes, and what that socket then receives.
 *
 *   node scripts/screenshot.ts [--phone] [--dark] [out.png]
 */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { launchBrowser, openPage } from "../test/e2e/browser.ts";
import { startDevServer } from "../test/e2e/dev-server.ts";

const args = process.argv.slice(2);
const phone = args.includes("--phone");
const out = resolve(import.meta.dirname, "..", args.find((a) => !a.startsWith("--")) ?? "docs/client.png");

const server = await startDevServer();
const browser = await launchBrowser();
try {
  const { page, errors } = await openPage(browser, server.httpUrl, {
    // Tall enough to show the Test controls card, below Connection, Send and Room.
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 1330 },
    deviceScaleFactor: phone ? 2 : 1,
    colorScheme: args.includes("--dark") ? "dark" : "light",
  });
  await page.locator("#status[data-state=open]").waitFor({ timeout: 10_000 });
  await page.click("#send");
  await page.fill("#message", '{"type":"greeting","text":"grüß dich"}');
  await page.press("#message", "Enter");
  await page.fill("#hex", "de ad be ef 00 01 02 03");
  await page.click("#send-hex");
  await page.locator("#log li[data-dir=echo]").nth(2).waitFor({ timeout: 10_000 });
  // The feature no other echo has: ask the server to misbehave, here a slow echo and pushes.
  await page.fill('#controls-form [name="delay"]', "250");
  await page.fill('#controls-form [name="push"]', "2");
  await page.fill('#controls-form [name="interval"]', "100");
  await page.click("#controls-form button[type=submit]");
  await page.locator("#status[data-state=open]").waitFor({ timeout: 10_000 });
  await page.fill("#message", "slow echo, please");
  await page.press("#message", "Enter");
  await page.locator("#log li[data-dir=echo]").nth(3).waitFor({ timeout: 10_000 });
  await page.fill("#message", "hello world!");
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: phone });
  if (errors.length > 0) throw new Error(`the page logged errors:\n${errors.join("\n")}`);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
