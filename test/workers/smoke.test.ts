import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("echoes text", async () => {
  const res = await exports.default.fetch("http://example.com/ws", { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const got = new Promise((r) => ws.addEventListener("message", (e) => r(e.data)));
  ws.send("hi");
  expect(await got).toBe("hi");
});
