import { describe, expect, it } from "vitest";
import { ackFrame, BAD_BINARY_FRAME, BAD_ID, BAD_TEXT_FRAME, unwrap } from "../../../../src/rooms/acks/frame";

function binary(header: string, bytes: number[]): ArrayBuffer {
  const json = new TextEncoder().encode(header);
  const frame = new Uint8Array(4 + json.byteLength + bytes.length);
  new DataView(frame.buffer).setUint32(0, json.byteLength);
  frame.set(json, 4);
  frame.set(bytes, 4 + json.byteLength);
  return frame.buffer;
}

describe("an acks member's frame", () => {
  it("in text form is its id and data", () => {
    expect(unwrap(JSON.stringify({ id: "a-1", data: "hi" }))).toEqual({ ok: true, id: "a-1", data: "hi" });
  });

  it("in binary form is its header's id and the exact bytes after the header", () => {
    const result = unwrap(binary('{"id":"b~2"}', [0, 255, 7]));
    expect(result.ok && result.id).toBe("b~2");
    expect(result.ok && [...new Uint8Array(result.data as ArrayBuffer)]).toEqual([0, 255, 7]);
  });

  it.each([
    ["an id of 64 characters", "x".repeat(64), true],
    ["an id of 65 characters", "x".repeat(65), false],
    ["an empty id", "", false],
    ["an id with a control character", "a\nb", false],
    ["an id outside ASCII", "é", false],
  ])("takes %s: %s", (_what, id, ok) => {
    expect(unwrap(JSON.stringify({ id, data: "" })).ok).toBe(ok);
  });

  it.each([
    ["text that is not JSON", "hi", BAD_TEXT_FRAME],
    ["text whose data is not a string", JSON.stringify({ id: "a", data: 1 }), BAD_TEXT_FRAME],
    ["text whose id is a number", JSON.stringify({ id: 1, data: "x" }), BAD_TEXT_FRAME],
    ["binary whose header is not JSON", binary("{id", []), BAD_BINARY_FRAME],
    ["binary whose header has no id", binary("{}", [1]), BAD_BINARY_FRAME],
    ["binary whose id is too long", binary(JSON.stringify({ id: "y".repeat(65) }), [1]), BAD_ID],
  ])("refuses %s, naming what was wrong", (_what, frame, reason) => {
    expect(unwrap(frame)).toEqual({ ok: false, reason });
  });

  it("is answered with an ack frame of exactly type, id and position", () => {
    expect(JSON.parse(ackFrame("a-1", "POS"))).toEqual({ type: "ack", id: "a-1", position: "POS" });
  });
});
