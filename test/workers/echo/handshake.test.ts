import { describe, expect, it } from "vitest";
import { accept, connect, fetchWithVars, fetchWorker, finish, upgradeHeaders, waitForMessage } from "../helpers";

const upgrade = (headers: Record<string, string> = {}) => ({ headers: upgradeHeaders(headers) });

describe("a bad control", () => {
  it.each(["/ws", "/"])("gets 400 on %s before any socket exists, with a one-line reason", async (path) => {
    const response = await fetchWorker(`${path}?delay=abc`, upgrade());
    expect(response.status).toBe(400);
    expect(response.webSocket).toBeNull();
    expect(response.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe('delay must be an integer from 0 to 60000 ms, got "abc"\n');
  });

  it("gets 400 when a control lacks the one it modifies", async () => {
    const response = await fetchWorker("/ws?after=3", upgrade());
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("after needs close=CODE\n");
  });

  it("does not change a plain GET, which still gets 426", async () => {
    expect((await fetchWorker("/ws?delay=abc")).status).toBe(426);
  });
});

describe("status", () => {
  it.each([400, 401, 403, 404, 429, 500, 502, 503])(
    "refuses the handshake with %i and a one-line body",
    async (status) => {
      const response = await fetchWorker(`/ws?status=${status}`, upgrade());
      expect(response.status).toBe(status);
      expect(response.webSocket).toBeNull();
      expect(response.headers.get("Retry-After")).toBeNull();
      expect(await response.text()).toBe(`handshake refused with ${status} as asked (status=${status})\n`);
    },
  );

  it.each([
    [429, 0],
    [503, 30],
    [503, 86_400],
  ])("answers %i with Retry-After: %i when retry_after is given", async (status, seconds) => {
    const response = await fetchWorker(`/ws?status=${status}&retry_after=${seconds}`, upgrade());
    expect(response.status).toBe(status);
    expect(response.headers.get("Retry-After")).toBe(String(seconds));
  });

  it("wins over the other controls: no socket, so nothing else applies", async () => {
    const response = await fetchWorker("/ws?status=503&delay=100&push=5&hello=1", upgrade());
    expect(response.status).toBe(503);
    expect(response.webSocket).toBeNull();
  });
});

describe("protocol", () => {
  it("answers the forced subprotocol when the client offered none", async () => {
    const response = await fetchWorker("/ws?protocol=chat.v9", upgrade());
    expect(response.status).toBe(101);
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("chat.v9");
    await finish(accept(response));
  });

  it("answers the forced subprotocol over the one the server would have chosen", async () => {
    const response = await fetchWithVars(
      "/ws?protocol=other",
      { SUBPROTOCOLS: "echo.v1" },
      upgrade({ "Sec-WebSocket-Protocol": "echo.v1" }),
    );
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("other");
    await finish(accept(response));
  });

  it("answers none with protocol=none even when the client offered one the server speaks", async () => {
    const vars = { SUBPROTOCOLS: "echo.v1" };
    const offer = upgrade({ "Sec-WebSocket-Protocol": "echo.v1" });
    const usual = await fetchWithVars("/ws", vars, offer);
    expect(usual.headers.get("Sec-WebSocket-Protocol")).toBe("echo.v1");
    await finish(accept(usual));
    const forced = await fetchWithVars("/ws?protocol=none", vars, upgrade({ "Sec-WebSocket-Protocol": "echo.v1" }));
    expect(forced.status).toBe(101);
    expect(forced.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    await finish(accept(forced));
  });
});

describe("parameters that are not controls", () => {
  it("are ignored: a client library's own parameters still get an echo", async () => {
    const socket = await connect("/ws?token=abc&EIO=4&transport=websocket&vsn=2.0.0");
    socket.send("still an echo");
    expect(await waitForMessage(socket)).toBe("still an echo");
    await finish(socket);
  });
});

describe('CONTROLS = "off"', () => {
  it.each(["delay=100", "close=4001", "status=503", "push=1", "hello=1", "protocol=x"])(
    "refuses ?%s with 400 test controls are off on this service",
    async (query) => {
      const response = await fetchWithVars(`/ws?${query}`, { CONTROLS: "off" }, upgrade());
      expect(response.status).toBe(400);
      expect(response.webSocket).toBeNull();
      expect(await response.text()).toBe("test controls are off on this service\n");
    },
  );

  it("still echoes with parameters that are not controls", async () => {
    const socket = await connect("/ws?token=abc", { CONTROLS: "off" });
    socket.send("plain");
    expect(await waitForMessage(socket)).toBe("plain");
    await finish(socket);
  });

  it("fails every request with 500 when CONTROLS is neither on nor off", async () => {
    const response = await fetchWithVars("/ws", { CONTROLS: "maybe" }, upgrade());
    expect(response.status).toBe(500);
  });
});
