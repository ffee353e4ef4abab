import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { SECRET_PROTOCOL_PREFIX } from "../../../src/http/info";
import { TOKEN_PROTOCOL_PREFIX } from "../../../src/rooms/access/carrier";
import { accept, fetchWithEnv, fetchWithVars, fetchWorker, finish, upgradeHeaders } from "../helpers";

describe("plain HTTP on the WebSocket endpoint", () => {
  it("answers GET /ws without an upgrade with 426, a one-line reason and Upgrade: websocket", async () => {
    const response = await fetchWorker("/ws");
    expect(response.status).toBe(426);
    expect(response.headers.get("Upgrade")).toBe("websocket");
    expect(await response.text()).toBe(
      "this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)\n",
    );
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("answers %s /ws with 405 and Allow: GET", async (method) => {
    const response = await fetchWorker("/ws", { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET");
    expect(await response.text()).toBe(`${method} is not allowed here; open a WebSocket with GET\n`);
  });

  // Called on the handler itself: a fetch through the runtime turns an upgrade into a GET before the Worker sees it.
  it("answers an upgrade sent with POST with 405 before any socket exists", async () => {
    const response = await fetchWithVars("/ws", {}, { method: "POST", headers: upgradeHeaders() });
    expect(response.status).toBe(405);
    expect(response.webSocket).toBeNull();
    expect(await response.text()).toBe("a WebSocket upgrade must use GET, not POST\n");
  });
});

describe("static assets", () => {
  it("serves the HTML client on / for a plain GET", async () => {
    const response = await fetchWorker("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("<title>");
  });

  it("answers an unknown path with 404 and a page naming the real endpoints", async () => {
    const response = await fetchWorker("/no/such/file.txt");
    expect(response.status).toBe(404);
    const page = await response.text();
    expect(page).toContain("<code>/ws</code>");
    expect(page).toContain("<code>/rooms/&lt;name&gt;</code>");
  });

  it("answers POST / with 405 and a reason, not an empty body", async () => {
    const response = await fetchWorker("/", { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD");
    expect(await response.text()).toBe("POST is not allowed on /; use GET\n");
  });
});

describe("GET /info", () => {
  it("describes the request: method, URL and headers, without Cookie or Authorization", async () => {
    const response = await fetchWorker("/info?x=1", {
      headers: { "X-Trace": "abc", Cookie: "session=secret", Authorization: "Bearer secret" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const info: { method: string; url: string; headers: Record<string, string>; cf: Record<string, unknown> } =
      await response.json();
    expect(info.method).toBe("GET");
    expect(info.url).toBe("http://edge-echo.test/info?x=1");
    expect(info.headers["x-trace"]).toBe("abc");
    expect(info.headers).not.toHaveProperty("cookie");
    expect(info.headers).not.toHaveProperty("authorization");
    expect(JSON.stringify(info)).not.toContain("secret");
    expect(typeof info.cf).toBe("object");
  });

  it("hides a room token in the URL and never shows Authorization", async () => {
    const response = await fetchWorker("/info?room=lobby&token=eyJ.secret.part", {
      headers: { Authorization: "Bearer eyJ.secret.part" },
    });
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text).url).toBe("http://edge-echo.test/info?room=lobby&token=%5Bhidden%5D");
  });

  it("hides a room token offered as a subprotocol entry, the other entries shown", async () => {
    const response = await fetchWorker("/info", {
      headers: { "Sec-WebSocket-Protocol": "chat.v1, room-token, room-token.eyJ.secret.part" },
    });
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text).headers["sec-websocket-protocol"]).toBe("chat.v1, room-token, room-token.[hidden]");
    expect(SECRET_PROTOCOL_PREFIX).toBe(TOKEN_PROTOCOL_PREFIX);
  });

  it("answers POST /info with 405", async () => {
    const response = await fetchWorker("/info", { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD");
    await response.body?.cancel();
  });
});

describe("upgrade checks", () => {
  it("refuses a malformed Sec-WebSocket-Key with 400 and a reason", async () => {
    const response = await fetchWorker("/ws", { headers: upgradeHeaders({ "Sec-WebSocket-Key": "not-a-key" }) });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("Sec-WebSocket-Key must be a base64-encoded 16-byte value\n");
  });

  it("refuses an upgrade without Sec-WebSocket-Key with 400", async () => {
    const headers = upgradeHeaders();
    delete headers["Sec-WebSocket-Key"];
    const response = await fetchWorker("/ws", { headers });
    expect(response.status).toBe(400);
    expect(response.webSocket).toBeNull();
    await response.body?.cancel();
  });

  it("refuses an upgrade without Sec-WebSocket-Version with 426", async () => {
    const headers = upgradeHeaders();
    delete headers["Sec-WebSocket-Version"];
    const response = await fetchWorker("/ws", { headers });
    expect(response.status).toBe(426);
    expect(await response.text()).toBe("no Sec-WebSocket-Version; this server speaks 13\n");
  });

  it("refuses an unsupported Sec-WebSocket-Version with 426 and names the one it speaks", async () => {
    const response = await fetchWorker("/ws", { headers: upgradeHeaders({ "Sec-WebSocket-Version": "8" }) });
    expect(response.status).toBe(426);
    expect(response.headers.get("Sec-WebSocket-Version")).toBe("13");
    await response.body?.cancel();
  });

  it("refuses an upgrade whose headers are absurdly large with 431", async () => {
    const response = await fetchWorker("/ws", { headers: upgradeHeaders({ "X-Padding": "x".repeat(20_000) }) });
    expect(response.status).toBe(431);
    await response.body?.cancel();
  });

  it("allows any Origin by default", async () => {
    const response = await fetchWorker("/ws", { headers: upgradeHeaders({ Origin: "https://anywhere.example" }) });
    expect(response.status).toBe(101);
    await finish(accept(response));
  });

  it("refuses an Origin not in ALLOWED_ORIGINS with 403, and allows a listed one or none", async () => {
    const vars = { ALLOWED_ORIGINS: "https://app.example, https://admin.example" };
    const refused = await fetchWithVars("/ws", vars, { headers: upgradeHeaders({ Origin: "https://evil.example" }) });
    expect(refused.status).toBe(403);
    expect(refused.webSocket).toBeNull();
    expect(await refused.text()).toBe("origin https://evil.example is not allowed to connect\n");

    for (const headers of [upgradeHeaders({ Origin: "https://admin.example" }), upgradeHeaders()]) {
      const allowed = await fetchWithVars("/ws", vars, { headers });
      expect(allowed.status).toBe(101);
      await finish(accept(allowed));
    }
  });

  it("always lets the service's own page connect, whatever ALLOWED_ORIGINS lists", async () => {
    const vars = { ALLOWED_ORIGINS: "https://app.example" };
    const own = await fetchWithVars("/ws", vars, { headers: upgradeHeaders({ Origin: "http://edge-echo.test" }) });
    expect(own.status).toBe(101);
    await finish(accept(own));
  });

  it("answers with the first offered subprotocol it speaks, and never one it does not", async () => {
    const vars = { SUBPROTOCOLS: "echo.v2, echo.v1" };
    const chosen = await fetchWithVars("/ws", vars, {
      headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "chat, echo.v1, echo.v2" }),
    });
    expect(chosen.status).toBe(101);
    expect(chosen.headers.get("Sec-WebSocket-Protocol")).toBe("echo.v1");
    await finish(accept(chosen));

    const none = await fetchWithVars("/ws", vars, { headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "chat" }) });
    expect(none.status).toBe(101);
    expect(none.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    await finish(accept(none));
  });

  it("chooses no subprotocol when none is configured", async () => {
    const response = await fetchWorker("/ws", { headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "chat" }) });
    expect(response.status).toBe(101);
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    await finish(accept(response));
  });
});

describe("configuration", () => {
  it("fails every request with 500 and a pointer to the logs when a var is invalid, logging it once", async () => {
    const logged = vi.spyOn(console, "error");
    const badEnv = { ...env, MAX_MESSAGE_BYTES: "lots" };
    for (let i = 0; i < 3; i++) {
      const response = await fetchWithEnv("/ws", badEnv, { headers: upgradeHeaders() });
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("service misconfigured: see the Worker's logs\n");
    }
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]?.[0])).toContain("MAX_MESSAGE_BYTES must be a decimal integer");
    logged.mockRestore();
  });
});
