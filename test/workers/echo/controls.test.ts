import { describe, expect, it } from "vitest";
import {
  CONTROLS_OFF_REASON,
  type Controls,
  DEFAULT_PUSH_INTERVAL_MS,
  MAX_PUSH_BYTES,
  NO_CONTROLS,
} from "../../../src/echo/controls";
import { parseControls } from "../../../src/echo/parse-controls";

/** The controls for `query`, failing with the 400 reason if there is one. */
function controls(query: string, enabled = true): Controls {
  const result = parseControls(new URLSearchParams(query), enabled);
  if (!result.ok) throw new Error(`expected controls for ${query}, got 400 ${result.reason}`);
  return result.controls;
}

/** The 400 reason for `query`, failing if it parses. */
function reason(query: string, enabled = true): string {
  const result = parseControls(new URLSearchParams(query), enabled);
  if (result.ok) throw new Error(`expected a 400 for ${query}, got ${JSON.stringify(result.controls)}`);
  return result.reason;
}

describe("parseControls: no controls", () => {
  it("gives the plain echo for an empty query", () => {
    expect(controls("")).toEqual(NO_CONTROLS);
  });

  it("ignores what client libraries add, and lists each name once in order", () => {
    expect(controls("token=abc&EIO=4&vsn=2.0.0&EIO=3")).toEqual({ ...NO_CONTROLS, ignored: ["token", "EIO", "vsn"] });
  });

  it("treats a control name in another case as unknown, so hello=1 shows the typo", () => {
    expect(controls("Delay=100&hello=1")).toMatchObject({ delayMs: 0, ignored: ["Delay"] });
  });
});

describe("parseControls: each control at its bounds", () => {
  it.each([
    ["delay=0", { delayMs: 0 }],
    ["delay=60000", { delayMs: 60_000 }],
    ["jitter=0", { jitterMs: 0 }],
    ["jitter=60000", { jitterMs: 60_000 }],
    ["drop=1", { dropAt: 1 }],
    ["drop=100000", { dropAt: 100_000 }],
    ["hello=1", { hello: true }],
    ["hello=0", { hello: false }],
    ["protocol=chat.v2", { protocol: { answer: "chat.v2" } }],
    ["protocol=none", { protocol: { answer: null } }],
    [`protocol=${"p".repeat(128)}`, { protocol: { answer: "p".repeat(128) } }],
  ] as const)("reads %s", (query, expected) => {
    expect(controls(query)).toMatchObject(expected);
  });

  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4001, 4999])(
    "reads close=%i, closing at the open by default",
    (code) => {
      expect(controls(`close=${code}`).close).toEqual({ code, reason: "", afterEchoes: 0, afterMs: null });
    },
  );

  it("reads a close with its reason, after and after_ms at their bounds", () => {
    expect(controls("close=4001&reason=going+away&after=100000").close).toEqual({
      code: 4001,
      reason: "going away",
      afterEchoes: 100_000,
      afterMs: null,
    });
    expect(controls("close=1012&after_ms=3600000").close).toEqual({
      code: 1012,
      reason: "",
      afterEchoes: null,
      afterMs: 3_600_000,
    });
    expect(controls("close=1000&after=0&after_ms=0").close).toMatchObject({ afterEchoes: 0, afterMs: 0 });
  });

  it("takes a reason of exactly 123 bytes of UTF-8", () => {
    const reason = `${"é".repeat(61)}x`;
    expect(controls(`close=4000&reason=${encodeURIComponent(reason)}`).close?.reason).toBe(reason);
  });

  it.each([400, 401, 403, 404, 429, 500, 502, 503])("reads status=%i", (status) => {
    expect(controls(`status=${status}`).status).toEqual({ status, retryAfterSeconds: null });
  });

  it("reads retry_after from 0 to 86400 with status 429 or 503", () => {
    expect(controls("status=429&retry_after=0").status).toEqual({ status: 429, retryAfterSeconds: 0 });
    expect(controls("status=503&retry_after=86400").status).toEqual({ status: 503, retryAfterSeconds: 86_400 });
  });

  it("reads push with its defaults: one text push a second, as small as the header allows", () => {
    expect(controls("push=1").push).toEqual({ count: 1, intervalMs: DEFAULT_PUSH_INTERVAL_MS, type: "text", size: 0 });
  });

  it("reads push, interval, push_type and push_size at their bounds", () => {
    expect(controls("push=10000&interval=10&push_type=binary&push_size=0").push).toEqual({
      count: 10_000,
      intervalMs: 10,
      type: "binary",
      size: 0,
    });
    expect(controls("push=1&interval=60000&push_type=text&push_size=65536").push).toMatchObject({
      intervalMs: 60_000,
      size: 65_536,
    });
  });

  it("allows pushes of exactly 64 MiB in all", () => {
    expect(controls("push=1024&push_size=65536").push?.count).toBe(1024);
    expect(1024 * 65_536).toBe(MAX_PUSH_BYTES);
  });

  it("combines controls, with unknown parameters beside them", () => {
    expect(controls("delay=100&jitter=50&close=4001&after=3&push=5&interval=20&hello=1&token=x")).toMatchObject({
      delayMs: 100,
      jitterMs: 50,
      close: { code: 4001, afterEchoes: 3 },
      push: { count: 5, intervalMs: 20 },
      hello: true,
      ignored: ["token"],
    });
  });
});

describe("parseControls: 400 reasons", () => {
  it.each([
    ["delay=abc", 'delay must be an integer from 0 to 60000 ms, got "abc"'],
    ["delay=60001", 'delay must be an integer from 0 to 60000 ms, got "60001"'],
    ["delay=-1", 'delay must be an integer from 0 to 60000 ms, got "-1"'],
    ["delay=1.5", 'delay must be an integer from 0 to 60000 ms, got "1.5"'],
    ["delay=1e3", 'delay must be an integer from 0 to 60000 ms, got "1e3"'],
    ["delay=", 'delay must be an integer from 0 to 60000 ms, got ""'],
    ["delay=+5", 'delay must be an integer from 0 to 60000 ms, got " 5"'],
    ["jitter=60001", 'jitter must be an integer from 0 to 60000 ms, got "60001"'],
    ["close=1004", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1004"'],
    ["close=1005", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1005"'],
    ["close=1006", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1006"'],
    ["close=1015", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1015"'],
    ["close=1016", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "1016"'],
    ["close=2999", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "2999"'],
    ["close=5000", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "5000"'],
    ["close=999", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "999"'],
    ["close=bye", 'close must be a close code valid on the wire: 1000-1003, 1007-1014 or 3000-4999, got "bye"'],
    [`close=4000&reason=${"x".repeat(124)}`, "reason must be at most 123 bytes of UTF-8, got 124"],
    [`close=4000&reason=${"%C3%A9".repeat(62)}`, "reason must be at most 123 bytes of UTF-8, got 124"],
    ["close=4000&after=100001", 'after must be an integer from 0 to 100000, got "100001"'],
    ["close=4000&after_ms=3600001", 'after_ms must be an integer from 0 to 3600000 ms, got "3600001"'],
    ["drop=0", 'drop must be an integer from 1 to 100000, got "0"'],
    ["drop=100001", 'drop must be an integer from 1 to 100000, got "100001"'],
    ["status=418", 'status must be one of 400, 401, 403, 404, 429, 500, 502, 503, got "418"'],
    ["status=200", 'status must be one of 400, 401, 403, 404, 429, 500, 502, 503, got "200"'],
    ["status=oops", 'status must be one of 400, 401, 403, 404, 429, 500, 502, 503, got "oops"'],
    ["status=503&retry_after=86401", 'retry_after must be an integer from 0 to 86400 s, got "86401"'],
    ["status=500&retry_after=30", "retry_after needs status=429 or status=503, got status=500"],
    ["protocol=", 'protocol must be "none" or a subprotocol token of 1 to 128 characters, got ""'],
    ["protocol=a%20b", 'protocol must be "none" or a subprotocol token of 1 to 128 characters, got "a b"'],
    ["protocol=a,b", 'protocol must be "none" or a subprotocol token of 1 to 128 characters, got "a,b"'],
    [`protocol=${"p".repeat(129)}`, "protocol must be"],
    ["push=0", 'push must be an integer from 1 to 10000, got "0"'],
    ["push=10001", 'push must be an integer from 1 to 10000, got "10001"'],
    ["push=1&interval=9", 'interval must be an integer from 10 to 60000 ms, got "9"'],
    ["push=1&interval=60001", 'interval must be an integer from 10 to 60000 ms, got "60001"'],
    ["push=1&push_type=json", 'push_type must be "text" or "binary", got "json"'],
    ["push=1&push_size=65537", 'push_size must be an integer from 0 to 65536 bytes, got "65537"'],
    ["hello=yes", 'hello must be 1 (or 0), got "yes"'],
    ["hello=", 'hello must be 1 (or 0), got ""'],
  ])("refuses %s: %s", (query, expected) => {
    expect(reason(query)).toContain(expected);
  });

  it("caps pushes at 64 MiB per connection: push × push_size", () => {
    expect(reason("push=1025&push_size=65536")).toBe(
      "push × push_size must be at most 67108864 bytes (64 MiB), got 1025 × 65536 = 67174400",
    );
    expect(reason("push=10000&push_size=65536")).toContain("got 10000 × 65536 = 655360000");
  });

  it.each([
    ["reason=bye", "reason needs close=CODE"],
    ["after=3", "after needs close=CODE"],
    ["after_ms=100", "after_ms needs close=CODE"],
    ["retry_after=30", "retry_after needs status=429 or status=503"],
    ["interval=100", "interval needs push=N"],
    ["push_type=binary", "push_type needs push=N"],
    ["push_size=100", "push_size needs push=N"],
  ])("refuses %s without the control it modifies: %s", (query, expected) => {
    expect(reason(query)).toBe(expected);
  });

  it("refuses drop with close: a connection ends once", () => {
    expect(reason("drop=1&close=1000")).toBe("drop and close cannot be combined: choose one ending");
  });

  it("refuses a control given twice rather than guess which one counts", () => {
    expect(reason("delay=1&delay=2")).toBe("delay is given more than once; give it once");
  });
});

describe("parseControls with CONTROLS = off", () => {
  it.each(["delay=100", "close=1000", "status=503", "push=1", "hello=1", "hello=0", "delay=abc"])(
    "refuses %s: test controls are off",
    (query) => {
      expect(reason(query, false)).toBe(CONTROLS_OFF_REASON);
      expect(CONTROLS_OFF_REASON).toBe("test controls are off on this service");
    },
  );

  it("still ignores parameters that are not controls", () => {
    expect(controls("token=abc&EIO=4", false)).toEqual({ ...NO_CONTROLS, ignored: ["token", "EIO"] });
  });
});
