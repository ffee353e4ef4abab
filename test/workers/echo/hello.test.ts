import { describe, expect, it } from "vitest";
import { controlsInForce, helloMessage } from "../../../src/echo/hello";
import { parseControls } from "../../../src/echo/parse-controls";
import { accept, connect, fetchWithVars, finish, upgradeHeaders, waitForMessage, waitForMessages } from "../helpers";

/** The first message on `socket`, parsed: the hello. */
async function readHello(socket: WebSocket): Promise<Record<string, unknown>> {
  const first = await waitForMessage(socket);
  if (typeof first !== "string") throw new Error("the hello should be text");
  const parsed: unknown = JSON.parse(first);
  if (typeof parsed !== "object" || parsed === null) throw new Error(`hello is not an object: ${first}`);
  return { ...parsed };
}

describe("hello=1", () => {
  it("sends a first message describing the connection as the edge saw it", async () => {
    const response = await fetchWithVars(
      "/ws?hello=1&delay=10&token=abc&EIO=4",
      { SUBPROTOCOLS: "echo.v1" },
      { headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "echo.v1", Cookie: "secret=1", "X-Probe": "yes" }) },
    );
    const socket = accept(response);
    const hello = await readHello(socket);
    expect(hello).toMatchObject({
      hello: true,
      method: "GET",
      // The socket's URL, as the client connected; a token's value never shows.
      url: "ws://edge-echo.test/ws?hello=1&delay=10&token=%5Bhidden%5D&EIO=4",
      protocol: "echo.v1",
      controls: { delay: 10, hello: 1 },
      ignored: ["token", "EIO"],
    });
    expect(hello.headers).toMatchObject({ "x-probe": "yes", "sec-websocket-protocol": "echo.v1" });
    expect(hello.headers).not.toHaveProperty("cookie");
    expect(hello).toHaveProperty("cf");
    socket.send("after the hello");
    expect(await waitForMessage(socket)).toBe("after the hello");
    await finish(socket);
  });

  it("gives a client that connected with wss:// its wss:// URL back", () => {
    const query = new URLSearchParams("hello=1");
    const parsed = parseControls(query, true);
    if (!parsed.ok) throw new Error(parsed.reason);
    const hello = JSON.parse(helloMessage(new Request("https://echo.example/ws?hello=1"), null, parsed.controls));
    expect(hello.url).toBe("wss://echo.example/ws?hello=1");
  });

  it("names the subprotocol forced by protocol=, and null for protocol=none", async () => {
    const forced = await connect("/ws?hello=1&protocol=mismatch");
    expect(await readHello(forced)).toMatchObject({ protocol: "mismatch", controls: { protocol: "mismatch" } });
    await finish(forced);
    const none = await connect("/ws?hello=1&protocol=none");
    expect(await readHello(none)).toMatchObject({ protocol: null, controls: { protocol: "none" } });
    await finish(none);
  });

  it("comes before an immediate close", async () => {
    const socket = await connect("/ws?hello=1&close=4001&reason=bye");
    const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve));
    const [hello] = await Promise.all([readHello(socket), closed]);
    expect(hello.controls).toEqual({ close: 4001, reason: "bye", after: 0, hello: 1 });
    expect((await closed).code).toBe(4001);
  });

  it("is not counted as an echo by after=N", async () => {
    const socket = await connect("/ws?hello=1&close=4000&after=1");
    const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve));
    await readHello(socket);
    socket.send("one");
    expect(await waitForMessage(socket)).toBe("one");
    expect((await closed).code).toBe(4000);
  });

  it("is not sent without hello=1, nor with hello=0", async () => {
    const socket = await connect("/ws?hello=0");
    socket.send("first");
    expect(await waitForMessages(socket, 1)).toEqual(["first"]);
    await finish(socket);
  });
});

describe("controlsInForce", () => {
  it("fills in the defaults that apply and leaves out what changes nothing", () => {
    expect(
      controlsInForce({
        delayMs: 0,
        jitterMs: 5,
        close: { code: 1012, reason: "", afterEchoes: null, afterMs: 5000 },
        dropAt: null,
        status: null,
        protocol: null,
        push: { count: 3, intervalMs: 1000, type: "text", size: 0 },
        hello: false,
        ignored: [],
      }),
    ).toEqual({ jitter: 5, close: 1012, after_ms: 5000, push: 3, interval: 1000, push_type: "text", push_size: 0 });
  });
});
