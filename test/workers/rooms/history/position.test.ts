import { describe, expect, it } from "vitest";
import { encodePosition, merged, parsePosition } from "../../../../src/rooms/history/position";

const position = {
  time: 1_796_340_000_000,
  marks: new Map([
    [0, { epoch: "0a1b2c3d", offset: 41 }],
    [3, { epoch: "ffffffff", offset: 7 }],
  ]),
};

describe("positions", () => {
  it("read back as written, as URL-safe text", () => {
    const text = encodePosition(position);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parsePosition(text)).toEqual(position);
  });

  it.each([
    ["empty text", ""],
    ["text that is not base64url", "a+b/c="],
    ["base64 of something else", btoa("hello")],
    ["a bad epoch", btoa(JSON.stringify([1, [[0, "XYZ", 1]]]))],
    ["a negative offset", btoa(JSON.stringify([1, [[0, "0a1b2c3d", -1]]]))],
    [
      "an origin twice",
      btoa(
        JSON.stringify([
          1,
          [
            [0, "0a1b2c3d", 1],
            [0, "0a1b2c3d", 2],
          ],
        ]),
      ),
    ],
    ["more than 16 KB", "A".repeat(16_385)],
  ])("refuse %s", (_what, text) => {
    expect(parsePosition(text.replace(/=+$/, ""))).toBeNull();
  });

  it("merge to the further mark of each origin, and take another epoch's", () => {
    const other = {
      time: 5,
      marks: new Map([
        [0, { epoch: "0a1b2c3d", offset: 40 }],
        [3, { epoch: "12345678", offset: 1 }],
        [4, { epoch: "abcdef01", offset: 2 }],
      ]),
    };
    expect(merged(position, other)).toEqual({
      time: position.time,
      marks: new Map([
        [0, { epoch: "0a1b2c3d", offset: 41 }],
        [3, { epoch: "12345678", offset: 1 }],
        [4, { epoch: "abcdef01", offset: 2 }],
      ]),
    });
  });
});
