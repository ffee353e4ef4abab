/**
 * Private rooms (`ROOM_AUTH=token`) through the Worker: who may join, send, read the
 * count and publish, what refusals look like, and tokens that expire while connected.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { TOKEN_IN_URL } from "../../../../src/rooms/access/carrier";
import { TOKEN_EXPIRED_REASON } from "../../../../src/rooms/access/expiry";
import { MAX_NUMERIC_DATE } from "../../../../src/rooms/access/token";
import { Room } from "../../../../src/rooms/room";
import { READ_ONLY_SENT_REASON } from "../../../../src/rooms/traffic";
import { accept, fetchWithVars, upgradeHeaders, waitForClose, waitForMessage, waitForMessages } from "../../helpers";
import { freshRoom } from "../helpers";
import { SECRET, signedClaims, TOKEN_VARS, token, tokenOffer } from "./tokens";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Joins `room` as a browser does, the token in a subprotocol entry (or none), under `vars`; returns the client end. */
async function join(room: string, jwt: string | null, vars: Partial<Env> = TOKEN_VARS): Promise<WebSocket> {
  const offer: Record<string, string> = jwt === null ? {} : { "Sec-WebSocket-Protocol": tokenOffer(jwt) };
  return accept(await fetchWithVars(`/rooms/${room}`, vars, { headers: upgradeHeaders(offer) }));
}

/** The 101 of a join with `headers` on `path`, under `vars`. */
function upgrade(path: string, headers: Record<string, string>, vars: Partial<Env> = TOKEN_VARS): Promise<Response> {
  return fetchWithVars(path, vars, { headers: upgradeHeaders(headers) });
}

function get(room: string, jwt: string | null, vars: Partial<Env> = TOKEN_VARS): Promise<Response> {
  const headers: Record<string, string> = jwt === null ? {} : { Authorization: `Bearer ${jwt}` };
  return fetchWithVars(`/rooms/${room}`, vars, { headers });
}

function post(room: string, jwt: string | null, body: BodyInit, type: string, vars = TOKEN_VARS): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": type };
  if (jwt !== null) headers.Authorization = `Bearer ${jwt}`;
  return fetchWithVars(`/rooms/${room}`, vars, { method: "POST", headers, body });
}

async function connections(room: string): Promise<number> {
  const response = await get(room, await token({ rooms: [room] }));
  const body = (await response.json()) as { connections: number };
  return body.connections;
}

describe("joining a private room", () => {
  it.each([
    ["no token", async (): Promise<string | null> => null, 4401, "token missing"],
    ["a bad signature", () => token({}, "another-secret-of-at-least-32-bytes!!"), 4401, "token invalid"],
    ["an expired token", () => token({ ttl: -10 }), 4401, "token expired"],
    ["a future nbf", () => token({ notBefore: 120 }), 4401, "token invalid"],
    ["a token for another room", () => token({ rooms: ["elsewhere"] }), 4403, "token not valid for this room"],
  ])("with %s is accepted and closed at once, never a member", async (_what, make, code, reason) => {
    const room = freshRoom();
    const socket = await join(room, await make());
    const event = await waitForClose(socket);
    expect({ code: event.code, reason: event.reason }).toEqual({ code, reason });
    expect(await connections(room)).toBe(0);
  });

  it("admits a token naming the room, by a room-token.<token> subprotocol entry or by Authorization: Bearer", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room], write: true });
    const byQuery = await join(room, jwt);
    const byHeader = accept(
      await fetchWithVars(`/rooms/${room}`, TOKEN_VARS, {
        headers: upgradeHeaders({ Authorization: `Bearer ${jwt}` }),
      }),
    );
    const heard = waitForMessage(byHeader);
    byQuery.send("hello");
    expect(await heard).toBe("hello");
    expect(await connections(room)).toBe(2);
  });

  it("admits team-a, not teamx, with the prefix entry team-*", async () => {
    const jwt = await token({ rooms: ["team-*"] });
    const suffix = crypto.randomUUID().slice(0, 8);
    const inside = await join(`team-${suffix}`, jwt);
    const outside = await join(`teamx${suffix}`, jwt);
    expect((await waitForClose(outside)).code).toBe(4403);
    expect(inside.readyState).toBe(WebSocket.OPEN);
  });
});

describe("how a join carries its token", () => {
  it("answers room-token for a room-token.<token> entry, never the entry itself nor the token in any header", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room] });
    const response = await upgrade(`/rooms/${room}`, { "Sec-WebSocket-Protocol": tokenOffer(jwt) });
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("room-token");
    for (const [name, value] of response.headers) expect(`${name}: ${value}`).not.toContain(jwt.split(".")[2]);
    const member = accept(response);
    expect(await connections(room)).toBe(1);
    member.close(1000, "done");
  });

  it("answers the application's own subprotocol when the client offers it first", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room] });
    const vars = { ...TOKEN_VARS, SUBPROTOCOLS: "chat.v1" };
    const first = await upgrade(`/rooms/${room}`, { "Sec-WebSocket-Protocol": tokenOffer(jwt, "chat.v1") }, vars);
    expect(first.headers.get("Sec-WebSocket-Protocol")).toBe("chat.v1");
    accept(first).close(1000, "done");
    // Offered alone the entry still admits, but nothing can be answered: browsers then fail the handshake themselves.
    const alone = await upgrade(`/rooms/${room}`, { "Sec-WebSocket-Protocol": `room-token.${jwt}` }, vars);
    expect(alone.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    const member = accept(alone);
    expect(await connections(room)).toBe(1);
    member.close(1000, "done");
  });

  it("never answers a room-token.… entry, even one listed in SUBPROTOCOLS", async () => {
    const vars = { ...TOKEN_VARS, SUBPROTOCOLS: "room-token.x" };
    const jwt = await token({});
    const response = await upgrade(
      `/rooms/${freshRoom()}`,
      { "Sec-WebSocket-Protocol": `room-token.x, room-token.${jwt}` },
      vars,
    );
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    accept(response).close(1000, "done");
  });

  it("refuses ?token= with 4401 and a reason that says how to send it, whatever else came", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room] });
    const carriers: Record<string, string>[] = [
      {},
      { Authorization: `Bearer ${jwt}` },
      { "Sec-WebSocket-Protocol": tokenOffer(jwt) },
    ];
    for (const headers of carriers) {
      const socket = accept(await upgrade(`/rooms/${room}?token=${jwt}`, headers));
      const event = await waitForClose(socket);
      expect({ code: event.code, reason: event.reason }).toEqual({ code: 4401, reason: TOKEN_IN_URL });
    }
    expect(new TextEncoder().encode(TOKEN_IN_URL).byteLength).toBeLessThanOrEqual(123);
    expect(TOKEN_IN_URL).toContain("room-token.<token>");
    expect(TOKEN_IN_URL).toContain("Authorization: Bearer");
    expect(await connections(room)).toBe(0);
  });

  it("refuses ?token= on GET, POST and history with 400 invalid_request", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room], write: true });
    const challenge = `Bearer realm="rooms", error="invalid_request", error_description="${TOKEN_IN_URL}"`;
    const answers = [
      await fetchWithVars(`/rooms/${room}?token=${jwt}`, TOKEN_VARS),
      await fetchWithVars(`/rooms/${room}/history?token=${jwt}`, TOKEN_VARS),
      await fetchWithVars(`/rooms/${room}?token=${jwt}`, TOKEN_VARS, { method: "POST", body: "x" }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.headers.get("WWW-Authenticate")).toBe(challenge);
    }
  });

  it("accepts ?token= again with ROOM_TOKEN_QUERY=on", async () => {
    const room = freshRoom();
    const vars = { ...TOKEN_VARS, ROOM_TOKEN_QUERY: "on" };
    const jwt = await token({ rooms: [room] });
    const member = accept(await upgrade(`/rooms/${room}?token=${jwt}`, {}, vars));
    expect(await connections(room)).toBe(1);
    expect((await fetchWithVars(`/rooms/${room}?token=${jwt}`, vars)).status).toBe(200);
    member.close(1000, "done");
  });
});

describe("claims the room could not keep", () => {
  it.each([
    ["exp: 1e300", { exp: 1e300 }],
    ["a fractional exp", { exp: Math.floor(Date.now() / 1000) + 60.5 }],
    ["an exp past the last second the runtime can schedule", { exp: MAX_NUMERIC_DATE + 1 }],
    ["nbf: 1e300", { nbf: 1e300 }],
    ["an iat a minute ahead", { iat: Math.floor(Date.now() / 1000) + 60 }],
  ])("%s is refused 4401 token invalid in the Worker, and the room logs nothing", async (_what, claims) => {
    const errors = vi.spyOn(console, "error");
    const room = freshRoom();
    const exp = Math.floor(Date.now() / 1000) + 600;
    const socket = await join(room, await signedClaims({ sub: "mallory", rooms: [room], exp, ...claims }));
    const event = await waitForClose(socket);
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4401, reason: "token invalid" });
    expect(errors).not.toHaveBeenCalled();
  });

  it("admits an exp at the last second the runtime can schedule", async () => {
    const errors = vi.spyOn(console, "error");
    const room = freshRoom();
    const member = await join(room, await signedClaims({ sub: "a", rooms: [room], exp: MAX_NUMERIC_DATE }));
    const heard = waitForMessage(member);
    member.send("ping");
    expect(await heard).toBe("pong");
    expect(await connections(room)).toBe(1);
    expect(errors).not.toHaveBeenCalled();
  });
});

describe("a read-only member", () => {
  it("receives, and is closed 4403 when it sends, with nothing relayed", async () => {
    const room = freshRoom();
    const writer = await join(room, await token({ rooms: [room], write: true }));
    const reader = await join(room, await token({ rooms: [room] }));
    const other = await join(room, await token({ rooms: [room] }));
    const heard = waitForMessage(reader);
    const atOther = waitForMessages(other, 2);
    writer.send("for everyone");
    expect(await heard).toBe("for everyone");

    const closed = waitForClose(reader);
    reader.send("from a reader");
    const event = await closed;
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4403, reason: READ_ONLY_SENT_REASON });
    writer.send("after");
    expect(await atOther).toEqual(["for everyone", "after"]);
  });
});

describe("a token that expires while connected", () => {
  it("closes the member 4401 token expired within 2 s of exp, with no traffic", async () => {
    const room = freshRoom();
    const jwt = await token({ rooms: [room], ttl: 2 });
    const exp = JSON.parse(atob(jwt.split(".")[1] ?? "")).exp * 1000;
    const socket = await join(room, jwt);
    const event = await waitForClose(socket);
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4401, reason: TOKEN_EXPIRED_REASON });
    expect(Date.now() - exp).toBeLessThan(2_000);
    expect(Date.now()).toBeGreaterThanOrEqual(exp);
  });

  it("delivers nothing sent after exp, even before the alarm has closed the member", async () => {
    vi.spyOn(Room.prototype, "alarm").mockImplementation(async () => {});
    const room = freshRoom();
    const sender = await join(room, await token({ rooms: [room], write: true }));
    const jwt = await token({ rooms: [room], ttl: 2 });
    const exp = JSON.parse(atob(jwt.split(".")[1] ?? "")).exp * 1000;
    const expiring = await join(room, jwt);
    const received: unknown[] = [];
    expiring.addEventListener("message", (event) => received.push(event.data));
    const closed = waitForClose(expiring);
    const sent: string[] = [];
    const timer = setInterval(() => {
      const text = `${Date.now()}`;
      sent.push(text);
      sender.send(text);
    }, 50);
    const event = await closed;
    clearInterval(timer);
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4401, reason: TOKEN_EXPIRED_REASON });
    expect(received.length).toBeGreaterThan(0);
    for (const text of received) expect(Number(text)).toBeLessThan(exp);
    expect(sent.some((text) => Number(text) >= exp)).toBe(true);
  });
});

describe("GET /rooms/:name of a private room", () => {
  it("needs a token for the room: 401 without one, 403 for another room", async () => {
    const room = freshRoom();
    const missing = await get(room, null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("WWW-Authenticate")).toBe('Bearer realm="rooms"');
    const elsewhere = await get(room, await token({ rooms: ["elsewhere"] }));
    expect(elsewhere.status).toBe(403);
    expect((await get(room, await token({ rooms: [room] }))).status).toBe(200);
  });
});

describe("POST /rooms/:name", () => {
  const SHARDED = { ...TOKEN_VARS, ROOM_SHARD_CONNECTIONS: "3", MAX_MESSAGE_BYTES: "64" };

  it("publishes text and binary once to every member, on every object of the room", async () => {
    const room = freshRoom();
    const members: WebSocket[] = [];
    for (let i = 0; i < 7; i++) members.push(await join(room, await token({ rooms: [room] }), SHARDED));
    const arriving = members.map((member) => waitForMessages(member, 2));
    const jwt = await token({ rooms: [room], write: true, sub: "backend" });
    const text = await post(room, jwt, "héllo", "text/plain; charset=utf-8", SHARDED);
    expect(text.status).toBe(202);
    expect(await text.json()).toEqual({ room, type: "text", bytes: 6, position: expect.any(String), duplicate: false });
    const binary = await post(room, jwt, new Uint8Array([0, 1, 255]), "application/octet-stream", SHARDED);
    expect(await binary.json()).toEqual({
      room,
      type: "binary",
      bytes: 3,
      position: expect.any(String),
      duplicate: false,
    });
    for (const received of await Promise.all(arriving)) {
      expect(received[0]).toBe("héllo");
      expect([...new Uint8Array(received[1] as ArrayBuffer)]).toEqual([0, 1, 255]);
    }
    const more = members.map((member) => waitForMessage(member));
    await post(room, jwt, "once", "text/plain", SHARDED);
    for (const message of await Promise.all(more)) expect(message).toBe("once");
  });

  type Refusal = [string, () => Promise<string | null>, string, BodyInit, number, string | null];
  it.each<Refusal>([
    ["no token", async () => null, "text/plain", "x", 401, 'Bearer realm="rooms"'],
    [
      "an expired token",
      () => token({ write: true, ttl: -10 }),
      "text/plain",
      "x",
      401,
      'Bearer realm="rooms", error="invalid_token", error_description="token expired"',
    ],
    [
      "a read-only token",
      () => token({}),
      "text/plain",
      "x",
      403,
      'Bearer realm="rooms", error="insufficient_scope", error_description="token does not allow publishing (write)"',
    ],
    [
      "a token for another room",
      () => token({ rooms: ["elsewhere"], write: true }),
      "text/plain",
      "x",
      403,
      'Bearer realm="rooms", error="insufficient_scope", error_description="token not valid for this room"',
    ],
    ["JSON", () => token({ write: true }), "application/json", "{}", 415, null],
    ["a body over MAX_MESSAGE_BYTES", () => token({ write: true }), "text/plain", "x".repeat(65), 413, null],
    ["text that is not UTF-8", () => token({ write: true }), "text/plain", new Uint8Array([0xff]), 400, null],
  ])("refuses %s", async (_what, make, type, body, status, challenge) => {
    const response = await post(freshRoom(), await make(), body, type, SHARDED);
    expect(response.status).toBe(status);
    if (challenge !== null) expect(response.headers.get("WWW-Authenticate")).toBe(challenge);
  });

  it("is as open as a join with ROOM_AUTH=open", async () => {
    const room = freshRoom();
    const member = await join(room, null, {});
    const heard = waitForMessage(member);
    expect((await post(room, null, "from a backend", "text/plain", {})).status).toBe(202);
    expect(await heard).toBe("from a backend");
  });
});

describe("tokens and secrets", () => {
  it("never appear in a log line, whatever is refused", async () => {
    const logged = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    const room = freshRoom();
    const tokens = [await token({ rooms: [room], write: true }), await token({ ttl: -10 }), "not.a.jwt"];
    for (const jwt of tokens) {
      const socket = await join(room, jwt);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, "done");
      await post(room, jwt, "x", "text/plain");
      await get(room, jwt);
    }
    await fetchWithVars(`/rooms/${room}`, { ROOM_AUTH: "token", ROOM_TOKEN_SECRET: "short" });
    const lines = logged.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(" ")));
    for (const line of lines) {
      for (const jwt of tokens) expect(line).not.toContain(jwt);
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain("short");
    }
  });

  it("a missing or short ROOM_TOKEN_SECRET is the misconfiguration 500, naming the variable", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const missing = await fetchWithVars(`/rooms/${freshRoom()}`, { ROOM_AUTH: "token" });
    expect(missing.status).toBe(500);
    const short = await fetchWithVars(`/rooms/${freshRoom()}`, {
      ROOM_AUTH: "token",
      ROOM_TOKEN_SECRET: "x".repeat(31),
    });
    expect(short.status).toBe(500);
    const lines = errors.mock.calls.map(([line]) => String(line));
    expect(lines.some((line) => line.includes("ROOM_TOKEN_SECRET") && line.includes("got 31"))).toBe(true);
  });
});
