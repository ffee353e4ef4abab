/**
 * The browser client (public/) in a real Chromium (see chromium.ts) against a real `wrangler dev`:
 * what a person clicking and typing sees.
 */
import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rowData, type WatchedPage, waitForRow, waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";
import { type DevServer, startDevServer } from "./dev-server.ts";

/** What the page shows for a round trip: "3.2 ms" under 10 ms, "42 ms" above. */
const RTT_TEXT = /^(\d\.\d|\d{2,}) ms$/;

const session = browserSession();

/** Opens the client on `httpUrl` and waits for its socket to open. */
async function openClient(httpUrl = inject("httpUrl")): Promise<WatchedPage> {
  const watched = await session.open(`${httpUrl}/`);
  await waitForStatus(watched.page, "open");
  return watched;
}

describe("the test browser", () => {
  // The pinned Chromium's package recommends --disable-web-security for serverless use; these
  // tests only mean something if the browser keeps the rules a person's browser keeps.
  it("keeps the same-origin policy: a page on localhost can read 127.0.0.1's /info (CORS) but not its page", async () => {
    const context = await session.browser.newContext();
    try {
      const page = await context.newPage();
      const target = inject("httpUrl");
      const foreignOrigin = target.replace("127.0.0.1", "localhost");
      await page.goto(`${foreignOrigin}/404-for-a-blank-page`);
      const outcome = await page.evaluate(async (url) => {
        const info = (await (await fetch(`${url}/info`)).json()) as { headers: Record<string, string> };
        const page = await fetch(`${url}/`).then(
          () => "read",
          (error: unknown) => String(error),
        );
        return { origin: info.headers.origin, page };
      }, target);
      expect(outcome.origin).toBe(foreignOrigin);
      expect(outcome.page).toMatch(/^TypeError/);
    } finally {
      await context.close();
    }
  });
});

describe("the echo client", () => {
  it("connects by itself to /ws on its own host and port, with ws: because the page is http:", async () => {
    const { page } = await openClient();
    expect(await page.inputValue("#url")).toBe(`${inject("wsUrl")}/ws`);
    expect(await page.textContent("#status")).toBe("Open · echo");
    expect(await page.inputValue("#message")).toBe("hello world!");
  });

  it("sends #message on a click of Send and on Enter, and logs each echo with its size and round-trip time", async () => {
    const { page } = await openClient();
    await page.click("#send");
    expect(await waitForRow(page, "sent", "hello world!")).toMatchObject({ type: "text", size: "12 B", rtt: "" });
    const echo = await waitForRow(page, "echo", "hello world!");
    expect(echo).toMatchObject({ type: "text", size: "12 B" });
    expect(echo.rtt).toMatch(RTT_TEXT);

    await page.fill("#message", "grüß dich");
    await page.press("#message", "Enter");
    const second = await waitForRow(page, "echo", "grüß dich");
    expect(second).toMatchObject({ type: "text", size: "11 B" }); // UTF-8 bytes, not characters
    expect(second.rtt).toMatch(RTT_TEXT);
    expect(await page.textContent("#stats")).toMatch(/^2 sent · 2 received · RTT avg /);
  });

  it("sends hex bytes as one binary message and shows the echo's hex preview and size", async () => {
    const { page } = await openClient();
    await page.fill("#hex", "de ad be ef");
    await page.click("#send-hex");
    const echo = await waitForRow(page, "echo", "de ad be ef");
    expect(echo).toMatchObject({ type: "binary", size: "4 B" });
    expect(echo.rtt).toMatch(RTT_TEXT);

    await page.fill("#hex", "0x00,0x01:ff");
    await page.press("#hex", "Enter");
    expect(await waitForRow(page, "echo", "00 01 ff")).toMatchObject({ type: "binary", size: "3 B" });
  });

  it("refuses malformed hex with an inline error and sends nothing", async () => {
    const { page } = await openClient();
    await page.fill("#hex", "de ad b");
    await page.click("#send-hex");
    expect(await page.textContent("#hex-error")).toBe("“b” has an odd number of digits: each byte is two.");
    expect(await page.getAttribute("#hex", "aria-invalid")).toBe("true");
    await page.fill("#hex", "zz");
    await page.press("#hex", "Enter");
    expect(await page.textContent("#hex-error")).toBe("“zz” is not hexadecimal: use 0-9 and a-f.");

    await page.fill("#hex", "");
    expect(await page.textContent("#hex-error")).toBe("");
    expect(await page.getAttribute("#hex", "aria-invalid")).toBeNull();
    await page.click("#send");
    await waitForRow(page, "echo", "hello world!");
    expect(await rowData(page, "sent")).toEqual(["hello world!"]);
  });

  it("sends a chosen file as one binary message", async () => {
    const { page } = await openClient();
    await page.setInputFiles("#file", {
      name: "three.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from([1, 2, 3]),
    });
    expect(await waitForRow(page, "sent", "three.bin · 01 02 03")).toMatchObject({ type: "binary", size: "3 B" });
    expect(await waitForRow(page, "echo", "01 02 03")).toMatchObject({ type: "binary", size: "3 B" });
  });

  it("Disconnect closes with 1000 and does not reconnect; Connect opens the socket again", async () => {
    const { page } = await openClient();
    await page.click("#disconnect");
    expect(await waitForStatus(page, "closed")).toBe("Closed 1000 (normal closure)");
    expect(await page.isHidden("#retry")).toBe(true);
    // Longer than the first reconnect delay could be: a reconnect would have started by now.
    await page.waitForTimeout(1500);
    expect(await page.getAttribute("#status", "data-state")).toBe("closed");
    expect(await page.isDisabled("#send")).toBe(true);

    await page.click("#connect");
    await waitForStatus(page, "open");
    await page.click("#send");
    await waitForRow(page, "echo", "hello world!");
  });

  it("Connect while open switches to the URL in the field, here the root path /", async () => {
    const { page } = await openClient();
    await page.fill("#url", `${inject("wsUrl")}/`);
    await page.press("#url", "Enter");
    await page.locator("#log", { hasText: `connected to ${inject("wsUrl")}/` }).waitFor({ timeout: 5_000 });
    expect(await waitForStatus(page, "open")).toBe("Open · echo");
    await page.click("#send");
    expect((await waitForRow(page, "echo", "hello world!")).rtt).toMatch(RTT_TEXT);
  });

  it("Disconnect sends the close code and reason from the options, and the server answers with them", async () => {
    const { page } = await openClient();
    await page.click("summary");
    await page.fill("#close-code", "4000");
    await page.fill("#close-reason", "bye");
    await page.click("#disconnect");
    expect(await waitForStatus(page, "closed")).toBe("Closed 4000 (application): bye");
  });

  it("keeps the newest 1,000 rows of a 10,000-entry log, with every message counted", async () => {
    const { page } = await openClient();
    await page.evaluate(() => {
      const input = document.getElementById("message");
      const form = document.getElementById("text-form");
      if (!(input instanceof HTMLInputElement) || !(form instanceof HTMLFormElement)) throw new Error("no #text-form");
      for (let i = 0; i < 5000; i++) {
        input.value = `m${i}`;
        form.requestSubmit();
      }
    });
    await waitForRow(page, "echo", "m4999", 30_000);
    expect(await page.locator("#log li").count()).toBe(1000);
    expect(await page.locator("#log li").last().locator(".data").textContent()).toBe("m4999");
    expect(await page.textContent("#stats")).toMatch(/^5000 sent · 5000 received · /);

    await page.click("#clear");
    expect(await page.locator("#log li").count()).toBe(0);
    expect(await page.textContent("#stats")).toBe("");
  });
});

describe("after an unexpected close", () => {
  let small: DevServer;
  beforeAll(async () => {
    small = await startDevServer({ MAX_MESSAGE_BYTES: "16" });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it("shows the server's 1009 and does not reconnect: the same message would be refused again", async () => {
    const { page } = await openClient(small.httpUrl);
    await page.fill("#message", "seventeen bytes!!");
    await page.click("#send");
    const why = "not reconnecting: the server's answer would be the same";
    expect(await waitForStatus(page, "closed")).toBe(
      `Closed 1009 (message too big): message of 17 bytes exceeds the 16-byte limit · ${why}`,
    );
    expect(await page.isHidden("#retry")).toBe(true);
    expect(await rowData(page, "info")).toEqual([
      `connected to ${small.wsUrl}/ws`,
      "closed: 1009 (message too big): message of 17 bytes exceeds the 16-byte limit",
      `${why}; press Connect to try again`,
    ]);
  });

  it("reconnects by itself after 1012, with a backoff it counts down", async () => {
    const { page } = await openClient(small.httpUrl);
    await page.fill("#url", `${small.wsUrl}/ws?close=1012&after=0`);
    await page.click("#connect");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("Closed 1012"), null, {
      timeout: 10_000,
    });
    expect(await page.textContent("#retry")).toMatch(/^Reconnecting in 1 s \(attempt 1\)$/);
    // It comes back (and is closed again, as this URL asks): a second connection in the log.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("#log li[data-dir=info]")].filter((li) =>
          li.textContent?.includes("connected to"),
        ).length >= 3,
      null,
      { timeout: 10_000 },
    );
  });

  it("Disconnect during the countdown cancels the reconnect", async () => {
    const { page } = await openClient(small.httpUrl);
    await page.fill("#url", `${small.wsUrl}/ws?close=1012&after=0`);
    await page.click("#connect");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("Closed 1012"), null, {
      timeout: 10_000,
    });
    await page.click("#disconnect");
    expect(await page.textContent("#status")).toBe("Closed · reconnect cancelled");
    expect(await page.isHidden("#retry")).toBe(true);
    await page.waitForTimeout(1500);
    expect(await page.getAttribute("#status", "data-state")).toBe("closed");
  });
});

describe("room mode", () => {
  /** A room no other test uses. */
  const freshRoom = () => `e2e-${randomUUID().slice(0, 8)}`;

  async function join(page: Page, room: string, echo = false): Promise<void> {
    await page.fill("#room", room);
    await page.setChecked("#room-echo", echo);
    await page.click("#join");
    expect(await waitForStatus(page, "open")).toBe(`Open · room ${room}${echo ? " (echo on)" : ""}`);
  }

  it("two pages in one room see each other's messages marked as from a peer, and a member count of 2", async () => {
    const room = freshRoom();
    const alice = await openClient();
    const bob = await openClient();
    await join(alice.page, room);
    // Each counts on joining; then only when asked (no timer polls an idle room awake).
    await alice.page.locator("#members", { hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await join(bob.page, room);
    expect(await alice.page.inputValue("#url")).toBe(`${inject("wsUrl")}/rooms/${room}`);
    await bob.page.locator("#members", { hasText: /^2$/ }).waitFor({ timeout: 5_000 });
    // Two members fit one Durable Object (ROOM_SHARD_CONNECTIONS defaults to 5,000).
    expect(await bob.page.textContent("#shards")).toBe("1");
    expect(await alice.page.textContent("#members")).toBe("1");
    await alice.page.click("#members-refresh");
    await alice.page.locator("#members", { hasText: /^2$/ }).waitFor({ timeout: 5_000 });

    await alice.page.fill("#message", "from alice");
    await alice.page.click("#send");
    expect(await waitForRow(bob.page, "peer", "from alice")).toMatchObject({ type: "text", size: "10 B", rtt: "" });
    await bob.page.fill("#hex", "b0 b0");
    await bob.page.click("#send-hex");
    expect(await waitForRow(alice.page, "peer", "b0 b0")).toMatchObject({ type: "binary", size: "2 B" });
    // Without echo, a member never receives its own message.
    expect(await rowData(alice.page, "echo")).toEqual([]);
    expect(await rowData(alice.page, "peer")).toEqual(["b0 b0"]);

    // Traffic wakes the room anyway, so it also refreshes the count (at most every 5 s).
    await bob.page.close();
    await alice.page.fill("#message", "anyone?");
    await alice.page.click("#send");
    await alice.page.locator("#members", { hasText: /^1$/ }).waitFor({ timeout: 12_000 });
  });

  it("with “echo my messages” the sender's own message comes back as an echo with its round-trip time", async () => {
    const room = freshRoom();
    const { page } = await openClient();
    await join(page, room, true);
    expect(await page.inputValue("#url")).toBe(`${inject("wsUrl")}/rooms/${room}?echo=1`);
    await page.click("#send");
    const echo = await waitForRow(page, "echo", "hello world!");
    expect(echo.rtt).toMatch(RTT_TEXT);
    expect(await rowData(page, "peer")).toEqual([]);
  });

  it("Leave goes back to the echo endpoint", async () => {
    const watched = await openClient();
    await join(watched.page, freshRoom());
    await watched.page.click("#leave");
    expect(await waitForStatus(watched.page, "open")).toBe("Open · echo");
    expect(await watched.page.inputValue("#url")).toBe(`${inject("wsUrl")}/ws`);
    expect(await watched.page.textContent("#members")).toBe("–");
    expect(await watched.page.textContent("#shards")).toBe("–");
  });

  it("refuses a room name the server would refuse, inline, and stays connected", async () => {
    const { page } = await openClient();
    await page.fill("#room", "no spaces");
    await page.click("#join");
    expect(await page.textContent("#room-error")).toBe("Use 1 to 64 letters, digits, - or _.");
    expect(await page.getAttribute("#room", "aria-invalid")).toBe("true");
    expect(await page.textContent("#status")).toBe("Open · echo");
  });
});
