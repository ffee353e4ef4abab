// @ts-check
/**
 * The Test controls card (docs/controls.md): fields, the URL they make, Connect with these.
 * Pushes are logged as `push` rows with their number, flagged when missing or out of order;
 * they are claimed before echoes are matched, so a (delayed) echo keeps its round trip.
 */
import { byId } from "./dom.js";
import { logMessage } from "./log.js";
import { claimIncoming } from "./messages.js";
import { connect, onSocket } from "./socket.js";
import { urlFor } from "./url.js";

/** @import { Payload } from "./bytes.js" */
/** @import { Connection } from "./socket.js" */

/** @type {Record<string, string>} a field sent only with the control it modifies (alone: a 400) */
const NEEDS = { reason: "close", after: "close", after_ms: "close", retry_after: "status" };
for (const name of ["interval", "push_type", "push_size"]) NEEDS[name] = "push";

const form = byId("controls-form", HTMLFormElement);
const preview = byId("controls-url", HTMLElement);
const error = byId("controls-error", HTMLElement);

/** @typedef {{ of: number, binary: boolean, size: number, next: number }} Pushes asked for; `next` is due */
/** @type {WeakMap<Connection, Pushes>} */
const pushes = new WeakMap();

/** Binds the card; follows every echo socket that asked for pushes, however its URL was typed. */
export function setupControls() {
  form.addEventListener("input", showUrl);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const invalid = form.querySelector(":invalid");
    const query = controlsQuery();
    // A browser shows a refused handshake only as 1006: say here what the server would refuse.
    error.textContent =
      invalid instanceof HTMLInputElement
        ? `${invalid.name}: ${invalid.validationMessage}`
        : query.has("drop") && query.has("close")
          ? "drop and close cannot be combined"
          : "";
    if (!error.textContent) connect(urlFor("/ws", query));
  });
  onSocket({ connecting: watch, changed: showUrl });
  claimIncoming(claimPush);
  showUrl();
}

/** The query the filled fields make, in field order. */
function controlsQuery() {
  const fields = new FormData(form);
  const value = (/** @type {string} */ name) => String(fields.get(name) ?? "").trim();
  const query = new URLSearchParams();
  for (const name of fields.keys()) {
    const needed = NEEDS[name];
    if (value(name) && (!needed || value(needed))) query.set(name, value(name));
  }
  return query;
}

function showUrl() {
  preview.textContent = urlFor("/ws", controlsQuery());
}

/** @param {Connection} conn */
function watch(conn) {
  const query = new URL(conn.url).searchParams;
  const of = Number(query.get("push"));
  if (conn.mode.kind !== "echo" || !(of > 0)) return;
  // A binary push is at least its header: SEQ and the server's clock, two big-endian uint64.
  const size = Math.max(Number(query.get("push_size")) || 0, 16);
  pushes.set(conn, { of, binary: query.get("push_type") === "binary", size, next: 1 });
}

/** @param {Connection} conn @param {Payload} data @returns {boolean} true: a push, logged */
function claimPush(conn, data) {
  const asked = pushes.get(conn);
  const seq = asked ? pushNumber(data, asked) : null;
  if (!asked || seq === null) return false;
  const bad = seq !== asked.next;
  logMessage("push", data, { label: `#${seq} of ${asked.of}${bad ? `, expected #${asked.next}` : ""}`, bad });
  asked.next = seq + 1;
  return true;
}

/**
 * The push number in `data`, or null for another message. A binary echo of exactly a push's
 * size would pass for one: while pushes are binary, send binary of another size.
 * @param {Payload} data @param {Pushes} asked
 */
function pushNumber(data, asked) {
  if (typeof data !== "string")
    return asked.binary && data.byteLength === asked.size
      ? Number(new DataView(data.buffer, data.byteOffset).getBigUint64(0))
      : null;
  if (asked.binary || !data.startsWith('{"push":')) return null;
  try {
    const seq = JSON.parse(data).push;
    return typeof seq === "number" ? seq : null;
  } catch {
    return null;
  }
}
