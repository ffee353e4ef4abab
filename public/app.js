// @ts-check
/**
 * edge-echo's browser client: one socket at a time, to the echo (`/ws`) or a room
 * (`/rooms/<name>`); a log of every message with its size and, for echoes, the round trip.
 */

/** Rows kept in the DOM: the newest ones; older rows are dropped so the page stays fast. */
const LOG_ROW_CAP = 1000;
/** Characters of a text message shown in its row; the size column still counts it all. */
const PREVIEW_CHARS = 500;
/** Bytes of a binary message shown as hex in its row. */
const HEX_PREVIEW_BYTES = 32;
/** Reconnect delays double from the base up to the cap; each is then jittered between half and all of it. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30_000;
/** A connection open this long was healthy: the next unexpected close starts the backoff afresh. */
const STABLE_OPEN_MS = 10_000;
/**
 * The member count is fetched on joining, on the refresh button, when the tab comes back,
 * and after room traffic at most this often. Never on a timer alone: each count wakes the
 * room's Durable Object, and an idle room must be left to hibernate.
 */
const MEMBERS_REFRESH_MS = 5000;
/** Sends still awaiting their echo; past this the oldest are forgotten (a server that does not echo). */
const MAX_PENDING = 10_000;
/** The server's rule for room names. */
const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Rooms answer the text `ping` with `pong` themselves (an auto-response), never relaying it. */
const PING = "ping";
const PONG = "pong";

/** @type {Record<number, string>} */
const CLOSE_NAMES = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no status code",
  1006: "abnormal closure",
  1007: "invalid payload",
  1008: "policy violation",
  1009: "message too big",
  1010: "missing extension",
  1011: "internal error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
  1015: "TLS failure",
};

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return element;
}

const ui = {
  status: byId("status", HTMLElement),
  retry: byId("retry", HTMLElement),
  connectionForm: byId("connection-form", HTMLFormElement),
  url: byId("url", HTMLInputElement),
  urlError: byId("url-error", HTMLElement),
  connect: byId("connect", HTMLButtonElement),
  disconnect: byId("disconnect", HTMLButtonElement),
  closeCode: byId("close-code", HTMLInputElement),
  closeReason: byId("close-reason", HTMLInputElement),
  closeError: byId("close-error", HTMLElement),
  protocols: byId("protocols", HTMLInputElement),
  autoReconnect: byId("auto-reconnect", HTMLInputElement),
  roomForm: byId("room-form", HTMLFormElement),
  room: byId("room", HTMLInputElement),
  roomError: byId("room-error", HTMLElement),
  roomEcho: byId("room-echo", HTMLInputElement),
  join: byId("join", HTMLButtonElement),
  leave: byId("leave", HTMLButtonElement),
  members: byId("members", HTMLOutputElement),
  membersRefresh: byId("members-refresh", HTMLButtonElement),
  textForm: byId("text-form", HTMLFormElement),
  message: byId("message", HTMLInputElement),
  send: byId("send", HTMLButtonElement),
  hexForm: byId("hex-form", HTMLFormElement),
  hex: byId("hex", HTMLInputElement),
  hexError: byId("hex-error", HTMLElement),
  sendHex: byId("send-hex", HTMLButtonElement),
  file: byId("file", HTMLInputElement),
  stats: byId("stats", HTMLElement),
  clear: byId("clear", HTMLButtonElement),
  log: byId("log", HTMLOListElement),
};

// ---------------------------------------------------------------- connection

/** @typedef {{ kind: "echo" } | { kind: "room", name: string, echo: boolean }} Mode */
/** @typedef {string | Uint8Array<ArrayBuffer>} Payload */
/** @typedef {{ reply: Payload | null, at: number }} Pending a send awaiting its answer; `reply` null: any message is it */
/**
 * @typedef {object} Connection
 * @property {WebSocket} ws
 * @property {string} url
 * @property {Mode} mode
 * @property {Pending[]} pending sends awaiting their reply, oldest first
 * @property {number} openedAt
 * @property {boolean} byUser true once the user asked to close it
 */

/** @type {Connection | null} */
let current = null;
let attempt = 0;
/** @type {{ timer: number, tick: number, url: string } | null} */
let retry = null;
let membersTimer = 0;
let membersActive = false;
let membersFetchedAt = 0;

/** `ws:`/`wss:` matching the page, same host and port, on `path`. @param {string} path */
function socketUrl(path) {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}

/**
 * The URL field's host (the user may have pointed it elsewhere) with a new path and query.
 * @param {string} path @param {string} [search]
 */
function withPath(path, search = "") {
  let url;
  try {
    url = new URL(ui.url.value);
  } catch {
    url = new URL(socketUrl("/"));
  }
  url.pathname = path;
  url.search = search;
  url.hash = "";
  return url.href;
}

/** @param {string} href @returns {Mode} */
function modeFor(href) {
  try {
    const url = new URL(href);
    const match = /^\/rooms\/([^/]+)$/.exec(url.pathname);
    if (match?.[1])
      return { kind: "room", name: decodeURIComponent(match[1]), echo: url.searchParams.get("echo") === "1" };
  } catch {
    // not a URL: the WebSocket constructor reports it
  }
  return { kind: "echo" };
}

/** @param {string} url */
function connect(url) {
  cancelRetry();
  if (current) {
    const old = current;
    current = null; // its close event is then ignored
    old.ws.close(1000, "switching");
  }
  ui.urlError.textContent = "";
  const protocols = ui.protocols.value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  /** @type {WebSocket} */
  let ws;
  try {
    ws = new WebSocket(url, protocols);
  } catch (error) {
    ui.urlError.textContent = error instanceof Error ? error.message : String(error);
    setStatus("closed", "Not connected: check the URL");
    updateControls();
    return;
  }
  ws.binaryType = "arraybuffer";
  const mode = modeFor(ws.url);
  /** @type {Connection} */
  const conn = { ws, url: ws.url, mode, pending: [], openedAt: 0, byUser: false };
  current = conn;
  ui.url.value = ws.url;
  if (mode.kind === "room") {
    ui.room.value = mode.name;
    ui.roomEcho.checked = mode.echo;
  }
  setStatus("connecting", `Connecting to ${where(mode)}…`);
  ws.addEventListener("open", () => {
    if (conn !== current) return;
    conn.openedAt = performance.now();
    const protocol = ws.protocol ? ` · protocol ${ws.protocol}` : "";
    setStatus("open", `Open · ${where(mode)}${protocol}`);
    note(`connected to ${ws.url}${protocol}`);
    if (mode.kind === "room") startMembers();
    updateControls();
  });
  ws.addEventListener("message", (event) => {
    if (conn !== current) return;
    received(conn, event.data);
    membersAfterTraffic();
  });
  ws.addEventListener("close", (event) => {
    if (conn !== current) return;
    current = null;
    stopMembers();
    if (conn.openedAt > 0 && performance.now() - conn.openedAt >= STABLE_OPEN_MS) attempt = 0;
    const text = describeClose(event.code, event.reason);
    const expected = conn.byUser || event.code === 1000;
    note(`${conn.openedAt > 0 ? "closed" : "could not connect"}: ${text}`, !expected);
    setStatus("closed", `Closed ${text}`);
    if (!conn.byUser && ui.autoReconnect.checked) scheduleRetry(conn.url);
    updateControls();
  });
  updateControls();
}

/** @param {Mode} mode */
function where(mode) {
  if (mode.kind === "echo") return "echo";
  return `room ${mode.name}${mode.echo ? " (echo on)" : ""}`;
}

/** @param {number} code @param {string} reason */
function describeClose(code, reason) {
  const name = CLOSE_NAMES[code] ?? (code >= 4000 ? "application" : "unknown");
  return `${code} (${name})${reason ? `: ${reason}` : ""}`;
}

function disconnect() {
  ui.closeError.textContent = "";
  if (!current) {
    if (retry) {
      cancelRetry();
      setStatus("closed", "Closed · reconnect cancelled");
      updateControls();
    }
    return;
  }
  const code = Number(ui.closeCode.value || 1000);
  const reason = ui.closeReason.value;
  // Browsers may only send 1000 or 3000-4999, and reasons up to 123 bytes.
  if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    ui.closeError.textContent = "A browser may close with 1000 or a code from 3000 to 4999.";
    return;
  }
  if (new TextEncoder().encode(reason).byteLength > 123) {
    ui.closeError.textContent = "The reason must be at most 123 bytes of UTF-8.";
    return;
  }
  current.byUser = true;
  current.ws.close(code, reason);
  setStatus("closing", "Closing…");
  updateControls();
}

/** @param {string} url */
function scheduleRetry(url) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
  attempt++;
  const due = performance.now() + delay;
  const show = () => {
    const seconds = Math.max(1, Math.ceil((due - performance.now()) / 1000));
    ui.retry.textContent = `Reconnecting in ${seconds} s (attempt ${attempt})`;
  };
  retry = { timer: setTimeout(() => connect(url), delay), tick: setInterval(show, 250), url };
  show();
  ui.retry.hidden = false;
}

function cancelRetry() {
  if (!retry) return;
  clearTimeout(retry.timer);
  clearInterval(retry.tick);
  retry = null;
  ui.retry.hidden = true;
}

/** @param {"connecting" | "open" | "closing" | "closed"} state @param {string} text */
function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function isOpen() {
  return current?.ws.readyState === WebSocket.OPEN;
}

function updateControls() {
  const open = isOpen();
  // Connect stays enabled while open: it switches to whatever the URL field names.
  ui.disconnect.disabled = (current === null || current.byUser) && retry === null;
  for (const control of [ui.send, ui.sendHex, ui.file]) control.disabled = !open;
  ui.leave.disabled = modeFor(ui.url.value).kind !== "room";
  ui.membersRefresh.disabled = !open || current?.mode.kind !== "room";
}

// ---------------------------------------------------------------- rooms

function startMembers() {
  stopMembers();
  membersActive = true;
  refreshMembers();
}

function stopMembers() {
  membersActive = false;
  clearTimeout(membersTimer);
  membersTimer = 0;
}

/** After room traffic (the room is awake anyway): refresh the count, at most once per interval. */
function membersAfterTraffic() {
  if (!membersActive || membersTimer !== 0 || document.visibilityState !== "visible") return;
  const wait = Math.max(0, membersFetchedAt + MEMBERS_REFRESH_MS - performance.now());
  membersTimer = setTimeout(() => {
    membersTimer = 0;
    refreshMembers();
  }, wait);
}

/** `GET /rooms/<name>` on the socket's host: `{ name, connections }`. */
async function refreshMembers() {
  const conn = current;
  if (conn?.mode.kind !== "room") return;
  membersFetchedAt = performance.now();
  const url = new URL(conn.url);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.search = "";
  try {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    /** @type {unknown} */
    const body = response.ok ? await response.json() : null;
    if (conn !== current) return;
    const count =
      typeof body === "object" && body !== null && "connections" in body && typeof body.connections === "number"
        ? body.connections
        : null;
    ui.members.value = count === null ? "?" : String(count);
  } catch {
    if (conn === current) ui.members.value = "?";
  }
}

// ---------------------------------------------------------------- messages

const encoder = new TextEncoder();

/** @param {Payload} data @param {string} [label] what to show before a binary preview, e.g. a file name */
function send(data, label) {
  const conn = current;
  if (!conn || conn.ws.readyState !== WebSocket.OPEN) return;
  conn.ws.send(data);
  const reply = expectedReply(conn.mode, data);
  if (reply !== undefined) {
    conn.pending.push({ reply, at: performance.now() });
    if (conn.pending.length > MAX_PENDING) conn.pending.shift();
  }
  stats.sent++;
  addEntry(entryFor("sent", data, label));
  membersAfterTraffic();
}

/**
 * What answers a send: in echo mode the next message, whatever it holds (the server
 * may add a prefix); in a room only `pong` to `ping`, or our own bytes with echo on.
 * @param {Mode} mode @param {Payload} data @returns {Payload | null | undefined} undefined: no answer
 */
function expectedReply(mode, data) {
  if (mode.kind === "echo") return null;
  if (data === PING) return PONG;
  return mode.echo ? data : undefined;
}

/** @param {Connection} conn @param {unknown} raw */
function received(conn, raw) {
  /** @type {Payload} */
  const data = typeof raw === "string" ? raw : new Uint8Array(raw instanceof ArrayBuffer ? raw : new ArrayBuffer(0));
  stats.received++;
  const index = conn.pending.findIndex((p) => p.reply === null || samePayload(p.reply, data));
  if (index === -1) {
    addEntry(entryFor(conn.mode.kind === "room" ? "peer" : "recv", data));
    return;
  }
  // Echoes come back in send order; a room's peers may interleave, so match by content there.
  const [match] = conn.pending.splice(index, 1);
  const rtt = performance.now() - (match?.at ?? 0);
  stats.rtts++;
  stats.rttSum += rtt;
  stats.rttMin = Math.min(stats.rttMin, rtt);
  addEntry({ ...entryFor("echo", data), rtt });
}

/** @param {Payload} a @param {Payload} b */
function samePayload(a, b) {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/**
 * Parses `de ad be ef`, `deadbeef`, `0xde,0xad` or `de:ad`.
 * @param {string} input @returns {{ bytes: Uint8Array<ArrayBuffer> } | { error: string }}
 */
function parseHex(input) {
  const tokens = input.split(/[\s,:;]+/).filter((t) => t !== "");
  if (tokens.length === 0) return { error: "Type some bytes in hex, e.g. de ad be ef." };
  let digits = "";
  for (const token of tokens) {
    const hex = token.replace(/^0x/i, "");
    if (!/^[0-9a-f]+$/i.test(hex)) return { error: `“${token}” is not hexadecimal: use 0-9 and a-f.` };
    if (hex.length % 2 === 1) return { error: `“${token}” has an odd number of digits: each byte is two.` };
    digits += hex;
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return { bytes };
}

/** @param {Uint8Array} bytes */
function hexPreview(bytes) {
  const shown = Array.from(bytes.subarray(0, HEX_PREVIEW_BYTES), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.byteLength > HEX_PREVIEW_BYTES ? `${shown} …` : shown;
}

// ---------------------------------------------------------------- log

/** @typedef {"sent" | "echo" | "peer" | "recv" | "info"} Direction */
/**
 * @typedef {object} Entry
 * @property {number} time epoch milliseconds
 * @property {Direction} dir
 * @property {string} text shown with textContent only
 * @property {"text" | "binary"} [type]
 * @property {number} [size] bytes
 * @property {number} [rtt] milliseconds
 * @property {boolean} [bad] an abnormal event, shown in red
 */

const stats = { sent: 0, received: 0, rtts: 0, rttSum: 0, rttMin: Number.POSITIVE_INFINITY };
/** @type {Entry[]} */
let queued = [];
let frame = 0;

/** @param {Direction} dir @param {Payload} data @param {string} [label] @returns {Entry} */
function entryFor(dir, data, label) {
  if (typeof data === "string") {
    const text = data.length > PREVIEW_CHARS ? `${data.slice(0, PREVIEW_CHARS)}…` : data;
    return { time: Date.now(), dir, type: "text", size: encoder.encode(data).byteLength, text };
  }
  const preview = hexPreview(data);
  return {
    time: Date.now(),
    dir,
    type: "binary",
    size: data.byteLength,
    text: label ? `${label} · ${preview}` : preview,
  };
}

/** @param {string} text @param {boolean} [bad] */
function note(text, bad = false) {
  addEntry({ time: Date.now(), dir: "info", text, bad });
}

/** Queues a row; rows reach the DOM once per animation frame, however many arrive. */
function addEntry(/** @type {Entry} */ entry) {
  queued.push(entry);
  if (queued.length > 2 * LOG_ROW_CAP) queued = queued.slice(-LOG_ROW_CAP);
  if (frame === 0) frame = requestAnimationFrame(flush);
}

function flush() {
  frame = 0;
  const log = ui.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 32;
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
  ui.stats.textContent = `${stats.sent} sent · ${stats.received} received${rtt}`;
}

/** @param {number} ms */
function formatTime(ms) {
  const d = new Date(ms);
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** @param {number} n */
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** @param {number} ms */
function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

// ---------------------------------------------------------------- wiring

/** @param {HTMLInputElement} input @param {HTMLElement} output @param {string} message */
function showError(input, output, message) {
  output.textContent = message;
  if (message === "") input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
}

ui.connectionForm.addEventListener("submit", (event) => {
  event.preventDefault();
  attempt = 0;
  connect(ui.url.value.trim());
});
ui.disconnect.addEventListener("click", disconnect);

ui.roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.room.value.trim();
  if (!ROOM_NAME.test(name)) {
    showError(ui.room, ui.roomError, "Use 1 to 64 letters, digits, - or _.");
    return;
  }
  showError(ui.room, ui.roomError, "");
  attempt = 0;
  connect(withPath(`/rooms/${name}`, ui.roomEcho.checked ? "?echo=1" : ""));
});
ui.room.addEventListener("input", () => showError(ui.room, ui.roomError, ""));
ui.leave.addEventListener("click", () => {
  ui.members.value = "–";
  attempt = 0;
  connect(withPath("/ws"));
});

ui.textForm.addEventListener("submit", (event) => {
  event.preventDefault();
  send(ui.message.value);
});

ui.hexForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const parsed = parseHex(ui.hex.value);
  if ("error" in parsed) {
    showError(ui.hex, ui.hexError, parsed.error);
    return;
  }
  showError(ui.hex, ui.hexError, "");
  send(parsed.bytes);
});
ui.hex.addEventListener("input", () => {
  if (ui.hexError.textContent !== "") showError(ui.hex, ui.hexError, "");
});

ui.file.addEventListener("change", async () => {
  const file = ui.file.files?.[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  send(bytes, file.name);
  ui.file.value = ""; // choosing the same file again sends it again
});

ui.clear.addEventListener("click", () => {
  queued = [];
  ui.log.replaceChildren();
  Object.assign(stats, { sent: 0, received: 0, rtts: 0, rttSum: 0, rttMin: Number.POSITIVE_INFINITY });
  ui.stats.textContent = "";
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && membersActive) refreshMembers();
});
ui.membersRefresh.addEventListener("click", () => refreshMembers());
// Back online: no point waiting out the backoff.
addEventListener("online", () => {
  if (retry) connect(retry.url);
});

ui.url.value = socketUrl("/ws");
connect(ui.url.value);
