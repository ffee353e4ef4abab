/**
 * The page's Room card with a private room (`ROOM_AUTH=token`) in a real Chromium: a token
 * from `npm run token`'s signer joins as a subprotocol entry (never in the URL), a refused
 * one shows its close reason and is not retried, and the log never shows the token. Also
 * what Chromium itself requires of a handshake that offers subprotocols.
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

async function joinWith(room: string, jwt: string, sockets: string[] = []): Promise<Page> {
  const { page } = await session.open(`${server.httpUrl}/`);
  page.on("websocket", (socket) => sockets.push(socket.url()));
  await waitForStatus(page, "open");
  await page.fill("#room", room);
  await page.fill("#room-token", jwt);
  await page.click("#room-form button[type=submit]");
  return page;
}

/** Opens a socket in the page offering `protocols`: its protocol once open, or its close code if it never opened. */
function offer(page: Page, url: string, protocols: string[]) {
  return page.evaluate(
    ([target, offered]) =>
      new Promise<{ opened: boolean; protocol: string; code: number }>((resolve) => {
        const socket = new WebSocket(target, offered);
        let opened = false;
        socket.onopen = () => {
          opened = true;
          resolve({ opened, protocol: socket.protocol, code: 0 });
          socket.close(1000);
        };
        socket.onclose = (event) => resolve({ opened, protocol: socket.protocol, code: event.code });
      }),
    [url, protocols] as const,
  );
}

describe("what Chromium requires of a join that offers subprotocols", () => {
  it("opens when the server answers room-token beside the token's entry, and fails when it can answer none", async () => {
    const room = `private-${Date.now()}`;
    const jwt = await token([room], false);
    const watched = await session.open(`${server.httpUrl}/`);
    const url = `${server.wsUrl}/rooms/${room}`;
    expect(await offer(watched.page, url, ["room-token", `room-token.${jwt}`])).toEqual({
      opened: true,
      protocol: "room-token",
      code: 0,
    });
    // The token's entry alone: the server must not answer it, and Chromium fails a handshake that answers nothing.
    expect(await offer(watched.page, url, [`room-token.${jwt}`])).toEqual({ opened: false, protocol: "", code: 1006 });
    const failures = watched.errors.splice(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received");
    expect(failures[0]).not.toContain(jwt.split(".")[2]);
  });
});

describe("the Room card with a private room", () => {
  it("joins with the token as a subprotocol entry, answered room-token; the URL, the log and the count's URL hold no token", async () => {
    const room = `private-${Date.now()}`;
    const jwt = await token([room], true);
    const sockets: string[] = [];
    const page = await joinWith(room, jwt, sockets);
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Open"), null, {
      timeout: 10_000,
    });
    expect(await page.textContent("#status")).toContain("protocol room-token");
    expect(sockets.some((url) => url.includes(`/rooms/${room}`))).toBe(true);
    for (const url of sockets) expect(url).not.toContain(jwt.split(".")[2]);
    expect(await page.inputValue("#url")).not.toContain("token");
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
