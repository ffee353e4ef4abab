// @ts-check
/**
 * The Log card: a row per message or event, and the counts and round trips above it. A direction
 * is any name (the row's class and `data-dir`): a new kind of row needs only its colour in log.css.
 */
import { formatBytes, hexPreview, utf8Length } from "./bytes.js";
import { byId } from "./dom.js";

/** @import { Payload } from "./bytes.js" */

/** Rows kept in the DOM: the newest ones; older rows are dropped so the page stays fast. */
const LOG_ROW_CAP = 1000;
/** Characters of a text message shown in its row; the size column still counts it all. */
const PREVIEW_CHARS = 500;
/** A log scrolled to within this many pixels of its end follows new rows; further up, it stays put. */
const FOLLOW_SLACK_PX = 32;

const log = byId("log", HTMLOListElement);
const statsLine = byId("stats", HTMLElement);

/**
 * @typedef {object} Entry
 * @property {number} time epoch ms
 * @property {string} dir `sent`, `echo`, `peer`, `recv`, `info` or another module's
 * @property {string} text shown with textContent only
 * @property {"text" | "binary"} [type]
 * @property {number} [size] bytes
 * @property {number} [rtt] ms
 * @property {boolean} [bad] shown in red: an unexpected close, a message out of order
 * @property {string} [pending] a sent message's id: shown as pending until `settled` says it was acked
 */
/**
 * @typedef {{ label?: string, rtt?: number, bad?: boolean, pending?: string }} Details label: shown
 *   before the data (a file name); pending: the id of a sent message not yet acked
 */

const stats = { sent: 0, received: 0, rtts: 0, rttSum: 0, rttMin: Number.POSITIVE_INFINITY };
/** @type {Entry[]} */
let queued = [];
let frame = 0;

/**
 * Logs a message and counts it: `sent` as sent, any other direction as received.
 * @param {string} dir @param {Payload} data @param {Details} [details]
 */
export function logMessage(dir, data, { label, rtt, bad = false, pending } = {}) {
  if (dir === "sent") stats.sent++;
  else stats.received++;
  if (rtt !== undefined) {
    stats.rtts++;
    stats.rttSum += rtt;
    stats.rttMin = Math.min(stats.rttMin, rtt);
  }
  const text = typeof data === "string";
  const preview = text ? (data.length > PREVIEW_CHARS ? `${data.slice(0, PREVIEW_CHARS)}…` : data) : hexPreview(data);
  add({
    time: Date.now(),
    dir,
    type: text ? "text" : "binary",
    size: text ? utf8Length(data) : data.byteLength,
    text: label ? `${label} · ${preview}` : preview,
    rtt,
    bad,
    pending,
  });
}

/** Ids settled before their row reached the DOM (rows are added once per frame): acked (true) or failed. */
const settledEarly = new Map();

/**
 * A sent message's fate: acked (its row stops showing pending) or failed (its row turns red).
 * @param {string} id @param {boolean} acked
 */
export function settled(id, acked) {
  const li = log.querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (li === null) settledEarly.set(id, acked);
  else settle(li, acked);
}

/** @param {Element} li @param {boolean} acked */
function settle(li, acked) {
  li.classList.remove("pending");
  if (!acked) li.classList.add("bad");
}

/** Logs a connection event (`info`). @param {string} text @param {boolean} [bad] */
export function note(text, bad = false) {
  add({ time: Date.now(), dir: "info", text, bad });
}

/** Binds Clear: it empties the log and resets the counts. */
export function setupLog() {
  byId("clear", HTMLButtonElement).addEventListener("click", () => {
    queued = [];
    log.replaceChildren();
    Object.assign(stats, { sent: 0, received: 0, rtts: 0, rttSum: 0, rttMin: Number.POSITIVE_INFINITY });
    statsLine.textContent = "";
  });
}

/** Queues a row; rows reach the DOM once per animation frame, however many arrive. @param {Entry} entry */
function add(entry) {
  queued.push(entry);
  if (queued.length > 2 * LOG_ROW_CAP) queued = queued.slice(-LOG_ROW_CAP);
  if (frame === 0) frame = requestAnimationFrame(flush);
}

function flush() {
  frame = 0;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < FOLLOW_SLACK_PX;
  const rows = document.createDocumentFragment();
  for (const entry of queued.slice(-LOG_ROW_CAP)) rows.append(row(entry));
  queued = [];
  log.append(rows);
  for (let excess = log.childElementCount - LOG_ROW_CAP; excess > 0; excess--) log.firstElementChild?.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
  showStats();
}

/** @param {Entry} entry */
function row(entry) {
  const li = document.createElement("li");
  li.className = entry.bad ? `${entry.dir} bad` : entry.dir;
  li.dataset.dir = entry.dir;
  if (entry.pending !== undefined) {
    li.dataset.id = entry.pending;
    li.classList.add("pending");
    const early = settledEarly.get(entry.pending);
    if (early !== undefined) {
      settledEarly.delete(entry.pending);
      settle(li, early);
    }
  }
  cell(li, "time", formatTime(entry.time));
  cell(li, "dir", entry.dir);
  if (entry.dir !== "info") {
    cell(li, "type", entry.type ?? "");
    cell(li, "size", entry.size === undefined ? "" : formatBytes(entry.size));
    cell(li, "rtt", entry.rtt === undefined ? "" : formatMs(entry.rtt));
  }
  cell(li, "data", entry.text);
  return li;
}

/** @param {HTMLElement} parent @param {string} name @param {string} text */
function cell(parent, name, text) {
  const span = document.createElement("span");
  span.className = name;
  span.textContent = text;
  parent.append(span);
}

function showStats() {
  const rtt = stats.rtts > 0 ? ` · RTT avg ${formatMs(stats.rttSum / stats.rtts)}, min ${formatMs(stats.rttMin)}` : "";
  statsLine.textContent = `${stats.sent} sent · ${stats.received} received${rtt}`;
}

/** @param {number} ms epoch */
function formatTime(ms) {
  const d = new Date(ms);
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** @param {number} ms */
function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
