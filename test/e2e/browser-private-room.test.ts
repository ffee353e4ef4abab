/**
 * The page's Room card with a private room (`ROOM_AUTH=token`) in a real Chromium: a token
 * from `npm run token`'s signer joins, a refused one shows its close reason and is not
 * retried, and the log never shows the token.
 */
import { SignJWT } from "jose";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForStatus } from "./browser.ts";
import { browserSession } from "./browser-session.ts";
import { type DevServer, startDevServer } from "./dev-server.ts";

const SECRET = "browser-secret-of-at-least-thirty-two-bytes";
const session = browserSession();
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ ROOM_AUTH: "token", ROOM_TOKEN_SECRET: SECRET });
});

afterAll(() => server?.stop());

function token(rooms: string[], write: boolean): Promise<string> {
  return new SignJWT({ rooms, write })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("browser")
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));
}

async function joinWith(room: string, jwt: string): Promise<Page> {
  const { page } = await session.open(`${server.httpUrl}/`);
  await waitForStatus(page, "open");
  await page.fill("#room", room);
  await page.fill("#room-token", jwt);
  await page.click("#room-form button[type=submit]");
  return page;
}

describe("the Room card with a private room", () => {
  it("joins with a token, shows the count, and keeps the token out of the log", async () => {
    const room = `private-${Date.now()}`;
    const jwt = await token([room], true);
    const page = await joinWith(room, jwt);
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Open"), null, {
      timeout: 10_000,
    });
    await page.waitForFunction(() => document.querySelector("#members")?.textContent === "1", null, {
      timeout: 10_000,
    });
    const log = await page.textContent("#log");
    expect(log).toContain("connected to");
    expect(log).not.toContain(jwt);
  });

  it("shows 4403 token not valid for this room, and does not retry", async () => {
    const page = await joinWith(`private-${Date.now()}`, await token(["elsewhere"], true));
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Closed 4403"), null, {
      timeout: 10_000,
    });
    const status = await page.textContent("#status");
    expect(status).toContain("token not valid for this room");
    expect(status).toContain("not reconnecting");
    expect(await page.isHidden("#retry")).toBe(true);
  });

  it("shows 4401 for an expired token and says a new one is needed", async () => {
    const expired = await new SignJWT({ rooms: ["*"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("browser")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const page = await joinWith(`private-${Date.now()}`, expired);
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Closed 4401"), null, {
      timeout: 10_000,
    });
    expect(await page.textContent("#status")).toContain("token expired · not reconnecting: the room needs a new token");
  });
});
