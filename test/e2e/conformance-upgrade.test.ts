/**
 * The opening handshake and plain HTTP against `wrangler dev` with wrangler.toml's
 * defaults. Each refusal is pinned with its exact status and who gives it: the
 * runtime ("ERROR: ..." bodies, before the Worker runs) or our Worker
 * (src/http/upgrade.ts, src/index.ts). After every refusal the service still echoes.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { KiB } from "./payloads.ts";
import { acceptFor, rawUpgrade, type UpgradeOptions, type UpgradeResponse } from "./raw-upgrade.ts";
import { expectEcho } from "./ws-client.ts";

const wsUrl = inject("wsUrl");
const httpUrl = inject("httpUrl");
const upgraded: UpgradeResponse[] = [];

/** An upgrade request to `/ws` (unless told otherwise), remembered so its socket is closed after the test. */
async function upgrade(options: UpgradeOptions = {}): Promise<UpgradeResponse> {
  const response = await rawUpgrade(wsUrl, options);
  upgraded.push(response);
  return response;
}

afterEach(async () => {
  for (const response of upgraded.splice(0)) response.socket?.destroy();
  expect(await expectEcho(`${wsUrl}/ws`, "after")).toBe("after");
});

describe("accepted upgrades", () => {
  it.each(["/ws", "/"])(
    "answers an upgrade on %s with 101 and the Sec-WebSocket-Accept for the key sent",
    async (path) => {
      const response = await upgrade({ path });
      expect(response.status).toBe(101);
      expect(response.headers["sec-websocket-accept"]).toBe(acceptFor(response.key ?? ""));
      expect(response.headers.upgrade?.toLowerCase()).toBe("websocket");
    },
  );

  it("allows any Origin by default (ALLOWED_ORIGINS = *)", async () => {
    expect((await upgrade({ headers: { Origin: "https://anywhere.example" } })).status).toBe(101);
    expect((await upgrade({ headers: { Origin: "null" } })).status).toBe(101);
  });

  it("answers no subprotocol when none is configured, whatever the client offers", async () => {
    const response = await upgrade({ headers: { "Sec-WebSocket-Protocol": "chat, echo" } });
    expect(response.status).toBe(101);
    expect(response.headers["sec-websocket-protocol"]).toBeUndefined();
  });

  it("accepts an upgrade without Connection: Upgrade: wrangler dev does not require it", async () => {
    expect((await upgrade({ headers: { Connection: null } })).status).toBe(101);
  });

  // The dev proxy re-handshakes with its own key, so src/http/upgrade.ts never sees the client's.
  it.each(["abc", "!!!!!!!!!!!!!!!!!!!!!!==", Buffer.alloc(15).toString("base64")])(
    "accepts the malformed key %j under wrangler dev, with the accept value computed from it",
    async (key) => {
      const response = await upgrade({ headers: { "Sec-WebSocket-Key": key } });
      expect(response.status).toBe(101);
      expect(response.headers["sec-websocket-accept"]).toBe(acceptFor(key));
    },
  );
});

describe("upgrades refused by the runtime", () => {
  it("refuses an upgrade without Sec-WebSocket-Key with 400", async () => {
    const response = await upgrade({ headers: { "Sec-WebSocket-Key": null } });
    expect([response.status, response.body]).toEqual([400, "ERROR: Missing Sec-WebSocket-Key"]);
  });

  it.each(["12", "8", "abc"])("refuses Sec-WebSocket-Version %s with 426 naming version 13", async (version) => {
    const response = await upgrade({ headers: { "Sec-WebSocket-Version": version } });
    expect([response.status, response.body]).toEqual([426, "ERROR: The requested WebSocket version is not supported."]);
    expect(response.headers["sec-websocket-version"]).toBe("13");
  });

  it("refuses an upgrade without Sec-WebSocket-Version with 426", async () => {
    expect((await upgrade({ headers: { "Sec-WebSocket-Version": null } })).status).toBe(426);
  });

  it.each(["POST", "PUT"])("refuses an upgrade sent with %s with 400", async (method) => {
    const response = await upgrade({ method, headers: { "Content-Length": "0" } });
    expect([response.status, response.body]).toEqual([400, "ERROR: WebSocket must be initiated with a GET request."]);
  });

  it("refuses an upgrade with 1 MiB of headers with 431 before the Worker runs", async () => {
    const response = await upgrade({ headers: { "X-Padding": "a".repeat(1024 * KiB) } });
    expect([response.status, response.body]).toEqual([431, "message head is too large"]);
  });
});

describe("upgrades refused by our Worker", () => {
  it.each([20, 100, 200])("refuses an upgrade with %i KiB of headers with 431 and the limit", async (size) => {
    const response = await upgrade({ headers: { "X-Padding": "a".repeat(size * KiB) } });
    expect([response.status, response.body]).toEqual([431, "upgrade request headers exceed 16384 bytes\n"]);
  });

  it("refuses 20 headers of 1 KiB each with 431: the limit is on the sum", async () => {
    const headers = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-Padding-${i}`, "b".repeat(KiB)]));
    expect((await upgrade({ headers })).status).toBe(431);
  });

  it("answers an upgrade on an unknown path with 404 from the assets", async () => {
    expect((await upgrade({ path: "/no-such-path" })).status).toBe(404);
  });
});

describe("plain HTTP", () => {
  it("answers GET /ws without an upgrade with 426 and a reason; the runtime drops the Worker's Upgrade header", async () => {
    const response = await fetch(`${httpUrl}/ws`);
    expect(response.status).toBe(426);
    // src/index.ts sets `Upgrade: websocket` (RFC 9110 asks it of a 426); workerd strips
    // hop-by-hop headers from responses, so the reason text is what tells the client.
    expect(response.headers.get("upgrade")).toBeNull();
    expect(await response.text()).toBe(
      "this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)\n",
    );
  });

  it("answers POST /ws with 405 and Allow: GET", async () => {
    const response = await fetch(`${httpUrl}/ws`, { method: "POST", body: "x" });
    expect([response.status, response.headers.get("allow")]).toEqual([405, "GET"]);
    expect(await response.text()).toBe("POST is not allowed here; open a WebSocket with GET\n");
  });

  it("answers GET /info with the request as JSON", async () => {
    const response = await fetch(`${httpUrl}/info`, { headers: { "X-Probe": "yes" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const info: unknown = await response.json();
    expect(info).toMatchObject({ method: "GET", url: `${httpUrl}/info`, headers: { "x-probe": "yes" } });
  });

  it("answers an unknown path with 404", async () => {
    const response = await fetch(`${httpUrl}/no-such-path`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});
