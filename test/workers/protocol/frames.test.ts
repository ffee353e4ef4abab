import { describe, expect, it } from "vitest";
import { messageBytes, utf8ByteLength, withPrefix } from "../../../src/protocol/frames";

describe("utf8ByteLength", () => {
  it.each(["", "ascii", "é", "世界", "👋🏽", "𝄞", "\u0000", "mixed é 世 👋"])(
    "agrees with TextEncoder on %j",
    (text) => {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).byteLength);
    },
  );
  it("counts a lone surrogate as the 3 bytes of U+FFFD, as the encoder sends it", () => {
    expect(utf8ByteLength("\ud800")).toBe(3);
    expect(utf8ByteLength("\udc00x")).toBe(4);
  });
});

describe("messageBytes", () => {
  it("counts binary by its byte length", () => {
    expect(messageBytes(new ArrayBuffer(7))).toBe(7);
  });
});

describe("withPrefix", () => {
  const prefixBytes = new TextEncoder().encode("> ");
  it("returns the message itself when there is no prefix", () => {
    const data = new ArrayBuffer(1);
    expect(withPrefix(data, "", new Uint8Array(0))).toBe(data);
  });
  it("prefixes text as text", () => {
    expect(withPrefix("hi", "> ", prefixBytes)).toBe("> hi");
  });
  it("prefixes binary with the prefix's UTF-8 bytes", () => {
    const out = withPrefix(new Uint8Array([1, 2]).buffer, "> ", prefixBytes);
    expect(out).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(out as ArrayBuffer)]).toEqual([62, 32, 1, 2]);
  });
});
