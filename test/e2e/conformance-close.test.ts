/**
 * The closing handshake (RFC 6455 §5.5.1, §7.4) against the echo under
 * `wrangler dev`. Our Worker accepts half-open, so every answer to a client's
 * close below is ours (src/protocol/close-codes.ts `closeReplyFor`), chosen from what
 * the runtime reports: code and decoded reason.
 */
import { describe, expect, inject, it } from "vitest";
import { rawConnector } from "./raw-connector.ts";
import { OP_CLOSE, OP_TEXT } from "./raw-frames.ts";

const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_INVALID_PAYLOAD = 1007;
const connect = rawConnector(inject("wsUrl"));

describe("valid close codes", () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999])(
    "answers close code %i with the same code and reason",
    async (code) => {
      const socket = await connect();
      socket.sendClose(code, `bye ${code}`);
      expect(await socket.waitForClose()).toMatchObject({ code, reason: `bye ${code}` });
    },
  );

  it("answers a reason of the maximum 123 bytes, multi-byte characters included, unchanged", async () => {
    const socket = await connect();
    const reason = `${"\u20ac".repeat(40)}abc`;
    expect(Buffer.byteLength(reason)).toBe(123);
    socket.sendClose(4000, reason);
    expect(await socket.waitForClose()).toMatchObject({ code: 4000, reason });
  });

  it("ends the TCP connection after answering the close", async () => {
    const socket = await connect();
    socket.sendClose(CLOSE_NORMAL, "done");
    expect((await socket.waitForClose()).code).toBe(CLOSE_NORMAL);
    await socket.waitForEnd();
  });

  it("echoes nothing that arrives after the client's close", async () => {
    const socket = await connect();
    socket.sendClose(CLOSE_NORMAL);
    socket.send(OP_TEXT, "too late");
    expect((await socket.waitForClose()).code).toBe(CLOSE_NORMAL);
    await socket.waitForEnd();
  });
});

describe("close codes not allowed on the wire", () => {
  it.each([0, 999, 1004, 1016, 1100, 2000, 2999, 5000, 65_535])(
    "answers close code %i with 1002 from our Worker",
    async (code) => {
      const socket = await connect();
      socket.sendClose(code, "r");
      expect(await socket.waitForClose()).toMatchObject({
        code: CLOSE_PROTOCOL_ERROR,
        reason: `invalid close code ${code}`,
      });
    },
  );

  // A close frame carrying 1006 or 1015 reaches the Worker as that code with wasClean = true,
  // which tells it apart from a dropped connection (wasClean = false, nothing to answer).
  it.each([1006, 1015])(
    "answers close code %i sent in a close frame with 1002: reserved codes may not appear on the wire",
    async (code) => {
      const socket = await connect();
      socket.sendClose(code, "r");
      expect(await socket.waitForClose(3_000)).toMatchObject({
        code: CLOSE_PROTOCOL_ERROR,
        reason: `invalid close code ${code}`,
      });
    },
  );

  it("answers close code 1005 with 1000: the runtime reports it as no code at all, like an empty close", async () => {
    const socket = await connect();
    socket.sendClose(1005);
    expect(await socket.waitForClose()).toMatchObject({ code: CLOSE_NORMAL, reason: "" });
  });
});

describe("close payloads without a code", () => {
  it("answers an empty close frame with 1000 and no reason", async () => {
    const socket = await connect();
    socket.sendClose(null);
    expect(await socket.waitForClose()).toMatchObject({ code: CLOSE_NORMAL, reason: "" });
  });

  it("answers a malformed 1-byte close payload with 1000: the runtime reports it as no code", async () => {
    const socket = await connect();
    socket.send(OP_CLOSE, Buffer.from([0x03]));
    expect(await socket.waitForClose()).toMatchObject({ code: CLOSE_NORMAL, reason: "" });
  });
});

describe("close reasons", () => {
  it("answers a reason that is not valid UTF-8 with 1007", async () => {
    const socket = await connect();
    socket.sendClose(4000, Buffer.from([0x62, 0x79, 0xff, 0x65]));
    expect(await socket.waitForClose()).toMatchObject({
      code: CLOSE_INVALID_PAYLOAD,
      reason: "close reason is not valid UTF-8",
    });
  });

  // Autobahn 7.3.6: a 126-byte close payload is a control frame over 125 bytes. The runtime
  // hands it to the Worker anyway, so the Worker must refuse it.
  it("answers a close with a 124-byte reason (a 126-byte control frame) with 1002", async () => {
    const socket = await connect();
    socket.sendClose(CLOSE_NORMAL, "a".repeat(124));
    expect(await socket.waitForClose()).toMatchObject({
      code: CLOSE_PROTOCOL_ERROR,
      reason: "close reason over 123 bytes",
    });
  });

  it("answers a valid reason containing U+FFFD with 1007 too: after decoding it cannot be told apart", async () => {
    const socket = await connect();
    socket.sendClose(4000, "\ufffd");
    expect((await socket.waitForClose()).code).toBe(CLOSE_INVALID_PAYLOAD);
  });
});

describe("the same close answers from a broadcast room", () => {
  const joinRoom = () => connect(`/rooms/close-${crypto.randomUUID()}`);

  it.each([
    [4000, "bye", 4000, "bye"],
    [999, "r", CLOSE_PROTOCOL_ERROR, "invalid close code 999"],
    [1004, "r", CLOSE_PROTOCOL_ERROR, "invalid close code 1004"],
    [1006, "r", CLOSE_PROTOCOL_ERROR, "invalid close code 1006"],
    [1015, "r", CLOSE_PROTOCOL_ERROR, "invalid close code 1015"],
    [2000, "r", CLOSE_PROTOCOL_ERROR, "invalid close code 2000"],
  ])("answers a member's close %i with %s by %i %s", async (code, reason, answer, answerReason) => {
    const socket = await joinRoom();
    socket.sendClose(code, reason);
    expect(await socket.waitForClose()).toMatchObject({ code: answer, reason: answerReason });
  });

  it("answers a member's close reason that is not valid UTF-8 with 1007", async () => {
    const socket = await joinRoom();
    socket.sendClose(4000, Buffer.from([0x62, 0xff]));
    expect(await socket.waitForClose()).toMatchObject({
      code: CLOSE_INVALID_PAYLOAD,
      reason: "close reason is not valid UTF-8",
    });
  });

  it("answers a member's close with a 124-byte reason with 1002", async () => {
    const socket = await joinRoom();
    socket.sendClose(CLOSE_NORMAL, "a".repeat(124));
    expect(await socket.waitForClose()).toMatchObject({
      code: CLOSE_PROTOCOL_ERROR,
      reason: "close reason over 123 bytes",
    });
  });

  it("answers a member's empty close with 1000", async () => {
    const socket = await joinRoom();
    socket.sendClose(null);
    expect(await socket.waitForClose()).toMatchObject({ code: CLOSE_NORMAL, reason: "" });
  });
});
