import { describe, expect, it } from "vitest";
import { parseLargeRelay, parseRelayBatch } from "../../../../src/rooms/shards/relay-messages";

describe("relay batches", () => {
  it("read back as sent: strings stay strings, ArrayBuffers stay ArrayBuffers", () => {
    const bytes = new Uint8Array([1, 2]).buffer;
    const batch = { from: 2, incarnation: 5, missed: 0, messages: ["a", bytes, ""] };
    expect(parseRelayBatch(batch)).toEqual(batch);
    expect(parseRelayBatch(batch)?.messages[1]).toBeInstanceOf(ArrayBuffer);
  });

  it.each([
    ["a typed array instead of an ArrayBuffer", { from: 1, incarnation: 0, missed: 0, messages: [new Uint8Array(1)] }],
    ["a number as a message", { from: 1, incarnation: 0, missed: 0, messages: [7] }],
    ["a negative missed count", { from: 1, incarnation: 0, missed: -1, messages: [] }],
    ["no sender", { incarnation: 0, missed: 0, messages: [] }],
    ["no incarnation", { from: 1, missed: 0, messages: [] }],
    ["no messages", { from: 1, incarnation: 0, missed: 0 }],
  ])("are refused with %s", (_what, value) => {
    expect(parseRelayBatch(value)).toBeNull();
  });
});

describe("large relays", () => {
  it("carry a stream of the message's bytes and whether it was text", async () => {
    const body = new Blob(["é"]).stream();
    const parsed = parseLargeRelay({ from: 3, incarnation: 2, missed: 1, text: true, body });
    expect(parsed).toMatchObject({ from: 3, incarnation: 2, missed: 1, text: true });
    expect(await new Response(parsed?.body).text()).toBe("é");
  });

  it("are refused without a stream or a type", () => {
    expect(parseLargeRelay({ from: 3, incarnation: 2, missed: 0, text: true, body: "é" })).toBeNull();
    expect(parseLargeRelay({ from: 3, incarnation: 2, missed: 0, body: new Blob(["x"]).stream() })).toBeNull();
  });
});
