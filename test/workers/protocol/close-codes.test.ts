import { describe, expect, it } from "vitest";
import { closeReplyFor, isValidCloseCode } from "../../../src/protocol/close-codes";

describe("isValidCloseCode", () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999])(
    "accepts %i",
    (code) => expect(isValidCloseCode(code)).toBe(true),
  );
  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])("rejects %i", (code) =>
    expect(isValidCloseCode(code)).toBe(false),
  );
});

describe("closeReplyFor", () => {
  it("answers a valid code with the same code and reason", () => {
    expect(closeReplyFor(4000, "bye", true)).toEqual({ code: 4000, reason: "bye" });
  });
  it("answers a close without a code (1005) with 1000", () => {
    expect(closeReplyFor(1005, "", true)).toEqual({ code: 1000, reason: "" });
  });
  it("sends nothing when the connection dropped without a close frame", () => {
    expect(closeReplyFor(1006, "", false)).toBeNull();
  });
  it("answers 1006 or 1015 put in a close frame by a peer with 1002: they may not appear on the wire", () => {
    expect(closeReplyFor(1006, "", true)).toEqual({ code: 1002, reason: "invalid close code 1006" });
    expect(closeReplyFor(1015, "", true)).toEqual({ code: 1002, reason: "invalid close code 1015" });
  });
  it("answers a code that may not appear on the wire with 1002", () => {
    expect(closeReplyFor(999, "x", true)).toEqual({ code: 1002, reason: "invalid close code 999" });
    expect(closeReplyFor(2000, "", true)).toEqual({ code: 1002, reason: "invalid close code 2000" });
  });
  it("answers a reason the runtime decoded with U+FFFD (invalid UTF-8) with 1007", () => {
    expect(closeReplyFor(1000, "bad \uFFFD", true)).toEqual({ code: 1007, reason: "close reason is not valid UTF-8" });
  });
  it("answers a reason of up to 123 bytes with the same reason, multi-byte characters included", () => {
    const reason = `${"é".repeat(61)}x`; // 123 bytes of UTF-8
    expect(closeReplyFor(4000, reason, true)).toEqual({ code: 4000, reason });
  });
  it("answers a reason over 123 bytes with 1002: no valid close frame carries one (Autobahn 7.3.6)", () => {
    expect(closeReplyFor(1000, "a".repeat(124), true)).toEqual({ code: 1002, reason: "close reason over 123 bytes" });
    expect(closeReplyFor(1000, "é".repeat(62), true)).toEqual({ code: 1002, reason: "close reason over 123 bytes" });
  });
  it("counts each U+FFFD as at least one byte on the wire, so an invalid 123-byte reason is 1007, not 1002", () => {
    const decoded = `${"a".repeat(120)}\uFFFD\uFFFD\uFFFD`; // 129 bytes decoded, 123 or fewer sent
    expect(closeReplyFor(4000, decoded, true)).toEqual({ code: 1007, reason: "close reason is not valid UTF-8" });
  });
});
