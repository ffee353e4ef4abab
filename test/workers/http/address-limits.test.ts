/**
 * Per-address limits, counted by the Rate Limiting bindings of wrangler.toml as the
 * Workers runtime simulates them (60 a period of 10 s each, windows aligned to the clock).
 * Each test uses addresses of its own, so no test spends another's budget.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config";
import { ADDRESS_LIMITS, overAddressLimit } from "../../../src/http/address-limits";
import { Room } from "../../../src/rooms/room";
import wranglerToml from "../../../wrangler.toml?raw";
import { accept, fetchWithEnv, fetchWithVars, fetchWorker, finish, upgradeHeaders } from "../helpers";
import { freshRoom, joinResponse } from "../rooms/helpers";

/** wrangler.toml's limit for each binding. */
const LIMIT = 60;
const PERIOD_SECONDS = 10;

afterEach(() => {
  vi.restoreAllMocks();
});

let addresses = 0;
/** An IPv4 address no other test (nor an earlier run within the period) has used. */
function freshAddress(): string {
  addresses++;
  const run = Math.floor(Math.random() * 250) + 1;
  return `198.18.${run}.${addresses}`;
}

/**
 * Waits for the start of a period if less than `needMs` of the current one is left: the
 * simulated counters start again at each multiple of the period, so a test counting to 61
 * must not straddle one.
 */
async function freshWindow(needMs = 6_000): Promise<void> {
  const periodMs = PERIOD_SECONDS * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

function upgradeFrom(address: string, path = "/ws"): Promise<Response> {
  return fetchWorker(path, { headers: upgradeHeaders({ "CF-Connecting-IP": address }) });
}

function postFrom(address: string, room: string, body: string): Promise<Response> {
  return fetchWorker(`/rooms/${room}`, {
    method: "POST",
    body,
    headers: { "Content-Type": "text/plain", "CF-Connecting-IP": address },
  });
}

function historyFrom(address: string, room: string): Promise<Response> {
  return fetchWorker(`/rooms/${room}/history`, { headers: { "CF-Connecting-IP": address } });
}

/** A 429 as every limit answers it: Retry-After and a one-line reason naming what was counted. */
async function expectRefused(response: Response, counted: RegExp): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get("Retry-After")).toBe(String(PERIOD_SECONDS));
  expect(response.webSocket).toBeNull();
  const body = await response.text();
  expect(body).toMatch(counted);
  expect(body).toMatch(/^[^\n]+\n$/);
}

describe("UPGRADE_LIMITER: WebSocket upgrades per address", () => {
  it("refuses the 61st upgrade within the period with 429 and Retry-After, on the echo and on rooms alike; a second address is unaffected", async () => {
    await freshWindow(8_000);
    const flooder = freshAddress();
    const room = freshRoom();
    // Echo and rooms spend one budget: 30 of each.
    const opened: WebSocket[] = [];
    for (let i = 0; i < LIMIT / 2; i++) {
      const echo = await upgradeFrom(flooder);
      expect(echo.status, `echo upgrade ${i + 1}`).toBe(101);
      opened.push(accept(echo));
      const join = await upgradeFrom(flooder, `/rooms/${room}`);
      expect(join.status, `room join ${i + 1}`).toBe(101);
      opened.push(accept(join));
    }
    await expectRefused(await upgradeFrom(flooder), /^too many WebSocket upgrades from your address/);
    await expectRefused(await upgradeFrom(flooder, `/rooms/${room}`), /UPGRADE_LIMITER/);

    const other = await upgradeFrom(freshAddress(), `/rooms/${room}`);
    expect(other.status).toBe(101);
    opened.push(accept(other));
    // What was open before the limit stays open: the echo still answers.
    const first = opened[0];
    if (first === undefined) throw new Error("no socket opened");
    const echoed = new Promise<unknown>((resolve) => first.addEventListener("message", (event) => resolve(event.data)));
    first.send("still here");
    expect(await echoed).toBe("still here");
    await Promise.all(opened.map(finish));
  }, 30_000);

  it("counts an IPv6 address by its /64: other hosts of it share the budget, another /64 does not", async () => {
    await freshWindow();
    const prefix = `2001:db8:${(Math.floor(Math.random() * 0xfff0) + 1).toString(16)}`;
    const opened: WebSocket[] = [];
    for (let host = 1; host <= LIMIT; host++) {
      const response = await upgradeFrom(`${prefix}:1::${host.toString(16)}`);
      expect(response.status, `upgrade from host ${host}`).toBe(101);
      opened.push(accept(response));
    }
    await expectRefused(await upgradeFrom(`${prefix}:1:ffff:ffff:ffff:ffff`), /WebSocket upgrades/);
    const neighbour = await upgradeFrom(`${prefix}:2::1`);
    expect(neighbour.status).toBe(101);
    opened.push(accept(neighbour));
    await Promise.all(opened.map(finish));
  });

  it("logs a refusal with the limit and the address's /24, never the address itself", async () => {
    await freshWindow();
    const flooder = freshAddress();
    const opened: WebSocket[] = [];
    for (let i = 0; i < LIMIT; i++) opened.push(accept(await upgradeFrom(flooder)));
    const logged = vi.spyOn(console, "log");
    expect((await upgradeFrom(flooder)).status).toBe(429);
    const lines = logged.mock.calls.map((call) => String(call[0]));
    const refusal = lines.find((line) => line.includes('"event":"ip_limited"'));
    expect(refusal).toBeDefined();
    expect(JSON.parse(refusal ?? "{}")).toEqual({
      event: "ip_limited",
      limit: "upgrade",
      binding: "UPGRADE_LIMITER",
      prefix: `${flooder.split(".").slice(0, 3).join(".")}.0/24`,
    });
    expect(lines.join("\n")).not.toContain(flooder);
    await Promise.all(opened.map(finish));
  });
});

describe("PUBLISH_LIMITER: POST /rooms/:name per address", () => {
  it("refuses the 61st publish within the period with 429 and Retry-After, writing nothing; a second address is unaffected", async () => {
    await freshWindow();
    const publisher = freshAddress();
    const room = freshRoom();
    for (let i = 0; i < LIMIT; i++)
      expect((await postFrom(publisher, room, `m${i}`)).status, `post ${i + 1}`).toBe(202);
    await expectRefused(await postFrom(publisher, room, "one too many"), /^too many POST \/rooms\/:name requests/);
    expect((await postFrom(freshAddress(), room, "from elsewhere")).status).toBe(202);

    // Read without an address, so this read is not counted: the refused message was never stored.
    const page = await fetchWorker(`/rooms/${room}/history`);
    const texts = JSON.stringify(await page.json());
    expect(texts).toContain("m59");
    expect(texts).toContain("from elsewhere");
    expect(texts).not.toContain("one too many");
  });
});

describe("HISTORY_LIMITER: GET /rooms/:name/history per address", () => {
  it("refuses the 61st read within the period with 429 and Retry-After; a second address is unaffected", async () => {
    await freshWindow();
    const reader = freshAddress();
    const room = freshRoom();
    for (let i = 0; i < LIMIT; i++) expect((await historyFrom(reader, room)).status, `read ${i + 1}`).toBe(200);
    await expectRefused(await historyFrom(reader, room), /^too many GET \/rooms\/:name\/history requests/);
    expect((await historyFrom(freshAddress(), room)).status).toBe(200);
  });
});

describe("a refused request touches no Durable Object", () => {
  it("spies on every method of the Room: none runs for a refused join, publish or history read", async () => {
    await freshWindow(8_000);
    const flooder = freshAddress();
    const room = freshRoom();
    // Spend each budget where no object is involved, or before the spies.
    const echoes: WebSocket[] = [];
    for (let i = 0; i < LIMIT; i++) echoes.push(accept(await upgradeFrom(flooder)));
    for (let i = 0; i < LIMIT; i++) expect((await postFrom(flooder, room, `m${i}`)).status).toBe(202);
    for (let i = 0; i < LIMIT; i++) expect((await historyFrom(flooder, room)).status).toBe(200);

    // Room's calls and, from the class it extends, the socket handlers (fetch, webSocketMessage, …).
    const methods = [...new Set([Room.prototype, Object.getPrototypeOf(Room.prototype)].flatMap(ownMethods))];
    const spies = methods.map((name) => vi.spyOn(Room.prototype, name as keyof Room));
    const called = () => methods.filter((_, i) => (spies[i]?.mock.calls.length ?? 0) > 0);

    expect((await upgradeFrom(flooder, `/rooms/${room}`)).status).toBe(429);
    expect((await postFrom(flooder, room, "refused")).status).toBe(429);
    expect((await historyFrom(flooder, room)).status).toBe(429);
    expect(called()).toEqual([]);

    // The spies do see an object at work: the same join from another address reaches the Room.
    const member = await joinResponse(room, { headers: { "CF-Connecting-IP": freshAddress() } });
    expect(member.status).toBe(101);
    expect(called()).toContain("fetch");
    await finish(accept(member));
    await Promise.all(echoes.map(finish));
  }, 30_000);
});

describe("IP_LIMITS", () => {
  it("off: one address upgrades, publishes and reads past every limit", async () => {
    const address = freshAddress();
    const room = freshRoom();
    const off = { IP_LIMITS: "off" };
    const headers = { "CF-Connecting-IP": address };
    const opened: WebSocket[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const upgrade = await fetchWithVars("/ws", off, { headers: upgradeHeaders(headers) });
      expect(upgrade.status, `upgrade ${i + 1}`).toBe(101);
      opened.push(accept(upgrade));
      const post = await fetchWithVars(`/rooms/${room}`, off, { method: "POST", body: `m${i}`, headers });
      expect(post.status, `post ${i + 1}`).toBe(202);
      expect((await fetchWithVars(`/rooms/${room}/history`, off, { headers })).status, `read ${i + 1}`).toBe(200);
    }
    await Promise.all(opened.map(finish));
    // The same address is still under every limit: nothing was counted while off.
    const after = await upgradeFrom(address);
    expect(after.status).toBe(101);
    await finish(accept(after));
  }, 30_000);

  it("rejects a value other than on or off", () => {
    expect(() => parseConfig({ IP_LIMITS: "yes" })).toThrow('IP_LIMITS must be "on" or "off", got "yes"');
    expect(parseConfig({}).ipLimits).toBe(true);
    expect(parseConfig({ IP_LIMITS: "off" }).ipLimits).toBe(false);
  });
});

describe("failing open", () => {
  it("serves an upgrade when the binding throws, and says so in one log line however many requests follow", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken: RateLimit = { limit: () => Promise.reject(new Error("limiter unreachable")) };
    const brokenEnv = { ...env, UPGRADE_LIMITER: broken };
    const opened: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetchWithEnv("/ws", brokenEnv, {
        headers: upgradeHeaders({ "CF-Connecting-IP": freshAddress() }),
      });
      expect(response.status).toBe(101);
      opened.push(accept(response));
    }
    const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes("ip_limit"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      event: "ip_limit_failed",
      error: "Error",
      message: "limiter unreachable",
      limit: "upgrade",
      binding: "UPGRADE_LIMITER",
    });
    await Promise.all(opened.map(finish));
  });

  it("serves a request when the binding is missing from the deploy, and says so once", async () => {
    const logged = vi.spyOn(console, "log").mockImplementation(() => {});
    const config = parseConfig({});
    const request = new Request("https://edge-echo.test/rooms/r", { headers: { "CF-Connecting-IP": freshAddress() } });
    const noBindings = {};
    expect(await overAddressLimit("publish", request, noBindings, config)).toBeNull();
    expect(await overAddressLimit("publish", request, noBindings, config)).toBeNull();
    const lines = logged.mock.calls.map((call) => String(call[0]));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toEqual({
      event: "ip_limit_unavailable",
      limit: "publish",
      binding: "PUBLISH_LIMITER",
      serving: "unlimited",
    });
  });

  it("counts nothing for a request without an address (no CF-Connecting-IP)", async () => {
    const counted = vi.fn(() => Promise.resolve({ success: false }));
    const request = new Request("https://edge-echo.test/ws");
    expect(
      await overAddressLimit("upgrade", request, { UPGRADE_LIMITER: { limit: counted } }, parseConfig({})),
    ).toBeNull();
    expect(counted).not.toHaveBeenCalled();
  });
});

describe("wrangler.toml", () => {
  it("declares each binding with the period its Retry-After says", () => {
    for (const { binding, periodSeconds } of Object.values(ADDRESS_LIMITS)) {
      const block = new RegExp(
        `name = "${binding}"\\s*\\nnamespace_id = "\\d+"\\s*\\nsimple = \\{ limit = (\\d+), period = (\\d+) \\}`,
      );
      const match = block.exec(wranglerToml);
      expect(match, `[[ratelimits]] ${binding}`).not.toBeNull();
      expect(Number(match?.[2])).toBe(periodSeconds);
      expect(Number(match?.[1])).toBe(LIMIT);
    }
  });
});

function ownMethods(prototype: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(prototype))
    .filter(([name, descriptor]) => name !== "constructor" && typeof descriptor.value === "function")
    .map(([name]) => name);
}
