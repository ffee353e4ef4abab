// @ts-check
/**
 * The Connection card: the socket URL (from `location`, or a path and query on the host the field
 * names) and the options a socket opens and closes with.
 */
import { utf8Length } from "./bytes.js";
import { byId } from "./dom.js";

/** A close frame holds at most 125 bytes: the 2-byte code, then the reason. */
const MAX_CLOSE_REASON_BYTES = 123;

const ui = {
  form: byId("connection-form", HTMLFormElement),
  url: byId("url", HTMLInputElement),
  urlError: byId("url-error", HTMLElement),
  disconnect: byId("disconnect", HTMLButtonElement),
  closeCode: byId("close-code", HTMLInputElement),
  closeReason: byId("close-reason", HTMLInputElement),
  closeError: byId("close-error", HTMLElement),
  protocols: byId("protocols", HTMLInputElement),
  autoReconnect: byId("auto-reconnect", HTMLInputElement),
};

/** @typedef {{ kind: "echo" } | { kind: "room", name: string, echo: boolean }} Mode what a socket URL connects to */

/** `ws:`/`wss:` matching the page, same host and port, on `path`. @param {string} path */
export function socketUrl(path) {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}

/**
 * The URL field's host (the user may have pointed it elsewhere) with a new path and query.
 * @param {string} path @param {Record<string, string> | URLSearchParams} [params]
 */
export function urlFor(path, params = {}) {
  let url;
  try {
    url = new URL(ui.url.value);
  } catch {
    url = new URL(socketUrl("/"));
  }
  url.pathname = path;
  url.search = new URLSearchParams(params).toString();
  url.hash = "";
  return url.href;
}

/**
 * A room on `/rooms/<name>` (`?echo=1`: our own messages echoed), else the echo.
 * @param {string} href @returns {Mode}
 */
export function modeFor(href) {
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

/** `echo`, `room lobby (echo on)`. @param {Mode} mode */
export function describeMode(mode) {
  if (mode.kind === "echo") return "echo";
  return `room ${mode.name}${mode.echo ? " (echo on)" : ""}`;
}

/**
 * Binds Connect (with the URL typed) and Disconnect.
 * @param {(url: string) => void} connect @param {() => void} disconnect
 */
export function bindConnectionForm(connect, disconnect) {
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    connect(ui.url.value.trim());
  });
  ui.disconnect.addEventListener("click", disconnect);
}

/** The URL field as typed. */
export function urlValue() {
  return ui.url.value;
}

/** Shows where the socket goes. @param {string} href */
export function showUrl(href) {
  ui.url.value = href;
}

/** Why the URL could not be opened; "" clears it. @param {string} text */
export function showUrlError(text) {
  ui.urlError.textContent = text;
}

/** The subprotocols to offer, from the comma-separated field. */
export function protocols() {
  return ui.protocols.value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** Whether to reconnect after an unexpected close. */
export function autoReconnect() {
  return ui.autoReconnect.checked;
}

/**
 * The close code (1000 when empty) and reason chosen, and why a browser could not send them
 * ("" when it can).
 */
export function closeOptions() {
  const code = Number(ui.closeCode.value || 1000);
  const reason = ui.closeReason.value;
  let problem = "";
  // Browsers may only send 1000 or 3000-4999.
  if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999)))
    problem = "A browser may close with 1000 or a code from 3000 to 4999.";
  else if (utf8Length(reason) > MAX_CLOSE_REASON_BYTES)
    problem = `The reason must be at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8.`;
  return { code, reason, problem };
}

/** Why the chosen close cannot be sent; "" clears it. @param {string} text */
export function showCloseError(text) {
  ui.closeError.textContent = text;
}

/** @param {boolean} enabled whether Disconnect can close a socket or cancel a reconnect */
export function enableDisconnect(enabled) {
  ui.disconnect.disabled = !enabled;
}
