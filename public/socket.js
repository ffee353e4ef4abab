// @ts-check
/** The page's one socket: opening it (dropping the one before), closing it, reconnecting; `onSocket` to follow it. */
import { toPayload, utf8Length } from "./bytes.js";
import { closeAdvice } from "./client/close-policy.js";
import { RoomClient } from "./client/room-client.js";
import { note } from "./log.js";
import { cancelReconnect, reconnectScheduled, resetBackoff, scheduleReconnect } from "./reconnect.js";
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

/** A connection open this long was healthy: the next unexpected close starts the backoff afresh. */
const STABLE_OPEN_MS = 10_000;
/** Whether rooms are joined positioned (through RoomClient): not where the server keeps no history. */
let roomHistory = true;

/** The room's server keeps history (true) or not (false): rooms are then joined as plain members. @param {boolean} kept */
export function setRoomHistory(kept) {
  roomHistory = kept;
}

/** Messages a room join replays from history, so a page joining a chat sees what was just said. */
const ROOM_HISTORY = 20;
/** Why the page does not come back by itself after a close that does not invite it. */
const STOP_REASONS = {
  "new-token": "the room needs a new token",
  stop: "the server's answer would be the same",
};
/** A close frame holds at most 125 bytes: the 2-byte code, then the reason. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * @typedef {object} Connection
 * @property {WebSocket | RoomClient} ws a room's is a RoomClient, which resumes by itself
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

/** Sends on the open socket; returns it, or null when none is open. @param {Payload} data */
export function send(data) {
  const conn = openConnection();
  if (!conn) return null;
  conn.ws.send(data);
  for (const h of hooks) h.sent?.(conn, data);
  return conn;
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
  const { code, reason } = closeOptions();
  // Browsers may only send 1000 or 3000-4999.
  if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    showCloseError("A browser may close with 1000 or a code from 3000 to 4999.");
    return;
  }
  if (utf8Length(reason) > MAX_CLOSE_REASON_BYTES) {
    showCloseError(`The reason must be at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8.`);
    return;
  }
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
    ws = modeFor(url).kind === "room" && roomHistory ? roomClient(url) : new WebSocket(url, protocols());
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

/**
 * A room member that resumes after a drop (public/client/room-client.js), saying in the
 * log what it recovered; it reconnects by itself, so the page only hears its last close.
 * @param {string} url
 */
function roomClient(url) {
  // With reconnecting off (Options), the first unexpected close is the last.
  const client = new RoomClient(url, { history: ROOM_HISTORY, maxRetries: autoReconnect() ? Infinity : 0 });
  client.on("joined", ({ recovered, replayed, resumed }) => {
    if (current?.ws !== client) return;
    if (!recovered) note("could not recover: messages were missed while away (history no longer covers them)", true);
    else if (resumed) note(`resumed, ${replayed} messages replayed`);
    else if (replayed > 0) note(`joined, ${replayed} messages from history`);
  });
  client.on("reconnecting", ({ code, reason, delay }) => {
    if (current?.ws !== client) return;
    note(`connection lost: ${describeClose(code, reason)}; resuming in ${(delay / 1000).toFixed(1)} s`, true);
    setStatus("connecting", "Resuming…");
  });
  return client;
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
