// @ts-check
/**
 * The page's one socket: opening it (dropping the one before), closing it, reconnecting; `onSocket`
 * to follow it. A room with history is joined through a RoomClient (room-member.js).
 */
import { toPayload } from "./bytes.js";
import { closeAdvice } from "./client/close-policy.js";
import { note } from "./log.js";
import { cancelReconnect, reconnectScheduled, resetBackoff, scheduleReconnect } from "./reconnect.js";
import { joinsPositioned, roomClient, roomProtocols } from "./room-member.js";
import { describeClose, setStatus } from "./status.js";
import {
  autoReconnect,
  closeOptions,
  describeMode,
  enableDisconnect,
  modeFor,
  protocols,
  showCloseError,
  showUrl,
  showUrlError,
} from "./url.js";

/** @import { Payload } from "./bytes.js" */
/** @import { Mode } from "./url.js" */
/** @import { RoomClient } from "./client/room-client.js" */

/** A connection open this long was healthy: the next unexpected close starts the backoff afresh. */
const STABLE_OPEN_MS = 10_000;
/** Why the page does not come back by itself after a close that does not invite it. */
const STOP_REASONS = {
  "new-token": "the room needs a new token",
  stop: "the server's answer would be the same",
};

/**
 * @typedef {object} Connection
 * @property {WebSocket | RoomClient} ws a positioned room member is a RoomClient, which resumes by itself
 * @property {string} url as the socket resolved it
 * @property {Mode} mode
 * @property {number} openedAt `performance.now()` when it opened; 0 until then
 * @property {boolean} byUser true once the user asked to close it
 */
/**
 * @typedef {object} SocketHooks
 * @property {(conn: Connection) => void} [connecting] a new socket is opening
 * @property {(conn: Connection) => void} [opened]
 * @property {(conn: Connection, data: Payload) => void} [received]
 * @property {(conn: Connection, data: Payload) => void} [sent]
 * @property {(conn: Connection) => void} [presence] a room client heard a user join or leave
 * @property {(conn: Connection) => void} [closed]
 * @property {() => void} [changed] time to enable or disable controls
 */

/** @type {SocketHooks[]} */
const hooks = [];
/** @type {Connection | null} */
let current = null;

/** Registers hooks; only the current socket's events reach them. @param {SocketHooks} h */
export function onSocket(h) {
  hooks.push(h);
}

/** The current socket, open or not yet. */
export function currentConnection() {
  return current;
}

/** The current socket if it is open. */
export function openConnection() {
  return current?.ws.readyState === WebSocket.OPEN ? current : null;
}

/** Connects to `url` at the user's word: the backoff starts afresh. @param {string} url */
export function connect(url) {
  resetBackoff();
  open(url);
}

/**
 * Sends on the open socket; returns it and, from a room client, the message's id (null from a
 * plain socket, or when the client refused it), or null when none is open.
 * @param {Payload} data @returns {{ conn: Connection, id: string | null } | null}
 */
export function send(data) {
  const conn = openConnection();
  if (!conn) return null;
  // A room client sends "ping" as the room's keep-alive (answered "pong"), as a plain socket does.
  const id = data === "ping" && "ping" in conn.ws ? conn.ws.ping() : conn.ws.send(data);
  for (const h of hooks) h.sent?.(conn, data);
  return { conn, id: typeof id === "string" ? id : null };
}

/** Closes the socket with the chosen code and reason, or cancels a reconnect. */
export function disconnect() {
  showCloseError("");
  if (!current) {
    if (reconnectScheduled()) {
      cancelReconnect();
      setStatus("closed", "Closed · reconnect cancelled");
      changed();
    }
    return;
  }
  const { code, reason, problem } = closeOptions();
  if (problem !== "") return showCloseError(problem);
  current.byUser = true;
  current.ws.close(code, reason);
  setStatus("closing", "Closing…");
  changed();
}

/** Opens a socket to `url` in place of the current one. @param {string} url */
function open(url) {
  cancelReconnect();
  if (current) {
    const old = current;
    current = null; // its close event is then ignored
    old.ws.close(1000, "switching");
  }
  showUrlError("");
  /** @type {WebSocket | RoomClient} */
  let ws;
  try {
    const room = modeFor(url).kind === "room";
    const positioned = room && joinsPositioned();
    const offer = room ? roomProtocols() : protocols();
    ws = positioned ? roomClient(url, (client) => current?.ws === client) : new WebSocket(url, offer);
  } catch (error) {
    showUrlError(error instanceof Error ? error.message : String(error));
    setStatus("closed", "Not connected: check the URL");
    changed();
    return;
  }
  ws.binaryType = "arraybuffer";
  const mode = modeFor(ws.url);
  /** @type {Connection} */
  const conn = { ws, url: ws.url, mode, openedAt: 0, byUser: false };
  current = conn;
  showUrl(ws.url);
  for (const h of hooks) h.connecting?.(conn);
  setStatus("connecting", `Connecting to ${describeMode(mode)}…`);
  ws.addEventListener("open", () => {
    if (conn !== current) return;
    conn.openedAt = performance.now();
    const protocol = ws.protocol ? ` · protocol ${ws.protocol}` : "";
    setStatus("open", `Open · ${describeMode(mode)}${protocol}`);
    note(`connected to ${withoutToken(ws.url)}${protocol}`);
    for (const h of hooks) h.opened?.(conn);
    changed();
  });
  ws.addEventListener("message", (event) => {
    if (conn !== current || !("data" in event)) return;
    const data = toPayload(event.data);
    for (const h of hooks) h.received?.(conn, data);
  });
  // A room client's joins and leaves change the room's count too (a plain WebSocket has neither event).
  for (const type of ["join", "leave"])
    ws.addEventListener(type, () => {
      if (conn === current) for (const h of hooks) h.presence?.(conn);
    });
  // A room client hands the room's `pong` (its answer to `ping`) apart from the room's messages.
  ws.addEventListener("pong", () => {
    if (conn !== current) return;
    for (const h of hooks) h.received?.(conn, "pong");
  });
  ws.addEventListener("close", (closeEvent) => {
    if (conn !== current) return;
    const event = closeInfo(closeEvent);
    current = null;
    for (const h of hooks) h.closed?.(conn);
    if (conn.openedAt > 0 && performance.now() - conn.openedAt >= STABLE_OPEN_MS) resetBackoff();
    const text = describeClose(event.code, event.reason);
    const expected = conn.byUser || event.code === 1000;
    note(`${conn.openedAt > 0 ? "closed" : "could not connect"}: ${text}`, !expected);
    setStatus("closed", `Closed ${text}`);
    const advice = closeAdvice(event.code, conn.byUser);
    if (conn.byUser || !autoReconnect()) {
      // Asked for, or reconnecting is off: nothing to explain.
    } else if (advice === "retry" || advice === "retry-later") {
      scheduleReconnect(() => open(conn.url), advice === "retry-later");
    } else {
      const why = STOP_REASONS[advice === "new-token" ? "new-token" : "stop"];
      note(`not reconnecting: ${why}; press Connect to try again`);
      setStatus("closed", `Closed ${text} · not reconnecting: ${why}`);
    }
    changed();
  });
  changed();
}

/** A close event's code and reason, from a WebSocket or a RoomClient. @param {Event} event */
function closeInfo(event) {
  const code = "code" in event && typeof event.code === "number" ? event.code : 1006;
  const reason = "reason" in event && typeof event.reason === "string" ? event.reason : "";
  return { code, reason };
}

/** The URL as the log shows it: a room token is a credential, so its value is hidden. @param {string} url */
function withoutToken(url) {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("token")) return url;
  parsed.searchParams.set("token", "…");
  return parsed.href;
}

function changed() {
  enableDisconnect((current !== null && !current.byUser) || reconnectScheduled());
  for (const h of hooks) h.changed?.();
}
