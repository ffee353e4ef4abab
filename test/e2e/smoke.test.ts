import { expect, inject, it } from "vitest";
import WebSocket from "ws";

it("echo over wrangler dev", async () => {
  const ws = new WebSocket(`${inject("wsUrl")}/ws`);
  await new Promise((r) => ws.once("open", r));
  ws.send("x");
  const [d] = await new Promise<[Buffer]>((r) => ws.once("message", (d: Buffer) => r([d])));
  expect(d.toString()).toBe("x");
  ws.close();
});
