// @ts-check
/** The Send card, and what comes back: an echo of a send (with its round trip), a peer's message, or `recv`. */
import { parseHex, samePayload } from "./bytes.js";
import { byId, showError } from "./dom.js";
import { logMessage } from "./log.js";
import { onSocket, openConnection, send } from "./socket.js";

/** @import { Payload } from "./bytes.js" */
/** @import { Connection } from "./socket.js" */
/** @import { Mode } from "./url.js" */

/** Sends still awaiting their echo; past this the oldest are forgotten (a server that does not echo). */
const MAX_PENDING = 10_000;
/** Rooms answer the text `ping` with `pong` themselves (an auto-response), never relaying it. */
const PING = "ping";
const PONG = "pong";

const ui = {
  textForm: byId("text-form", HTMLFormElement),
  message: byId("message", HTMLInputElement),
  send: byId("send", HTMLButtonElement),
  hexForm: byId("hex-form", HTMLFormElement),
  hex: byId("hex", HTMLInputElement),
  hexError: byId("hex-error", HTMLElement),
  sendHex: byId("send-hex", HTMLButtonElement),
  file: byId("file", HTMLInputElement),
};

/** @typedef {{ reply: Payload | null, at: number }} Pending a send awaiting its answer; `reply` null: any message is it */
/** @typedef {(conn: Connection, data: Payload) => boolean} Claim true: it took the message (and logged it) */

/** @type {WeakMap<Connection, Pending[]>} each socket's sends awaiting their answer, oldest first */
const pending = new WeakMap();
/** @type {Claim[]} */
const claims = [];

/** Lets a module take the messages it knows (server pushes) before they are matched to sends. @param {Claim} claim */
export function claimIncoming(claim) {
  claims.push(claim);
}

/** Binds the Send card's text, hex and file, and logs what the socket receives. */
export function setupSender() {
  ui.textForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendAndLog(ui.message.value);
  });
  ui.hexForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const parsed = parseHex(ui.hex.value);
    if ("error" in parsed) {
      showError(ui.hex, ui.hexError, parsed.error);
      return;
    }
    showError(ui.hex, ui.hexError, "");
    sendAndLog(parsed.bytes);
  });
  ui.hex.addEventListener("input", () => {
    if (ui.hexError.textContent !== "") showError(ui.hex, ui.hexError, "");
  });
  ui.file.addEventListener("change", async () => {
    const file = ui.file.files?.[0];
    if (!file) return;
    sendAndLog(new Uint8Array(await file.arrayBuffer()), file.name);
    ui.file.value = ""; // choosing the same file again sends it again
  });
  onSocket({
    received,
    changed() {
      const open = openConnection() !== null;
      for (const control of [ui.send, ui.sendHex, ui.file]) control.disabled = !open;
    },
  });
}

/** Sends, logs and awaits the answer, if a socket is open. @param {Payload} data @param {string} [label] */
function sendAndLog(data, label) {
  const sent = send(data);
  if (!sent) return;
  const { conn, id } = sent;
  const reply = expectedReply(conn.mode, data);
  if (reply !== undefined) {
    const waiting = pending.get(conn) ?? [];
    waiting.push({ reply, at: performance.now() });
    if (waiting.length > MAX_PENDING) waiting.shift();
    pending.set(conn, waiting);
  }
  // A room client's message shows as pending until the room acks it (room-member.js).
  logMessage("sent", data, { label, pending: id ?? undefined });
}

/**
 * What answers a send: in echo mode the next message, whatever it holds (the server
 * may add a prefix); in a room only `pong` to `ping`, or our own bytes with echo on.
 * @param {Mode} mode @param {Payload} data @returns {Payload | null | undefined} undefined: nothing
 */
function expectedReply(mode, data) {
  if (mode.kind === "echo") return null;
  if (data === PING) return PONG;
  return mode.echo ? data : undefined;
}

/** @param {Connection} conn @param {Payload} data */
function received(conn, data) {
  if (claims.some((claim) => claim(conn, data))) return;
  const waiting = pending.get(conn) ?? [];
  // Echoes come back in send order; a room's peers may interleave, so match by content there.
  const index = waiting.findIndex((p) => p.reply === null || samePayload(p.reply, data));
  if (index === -1) {
    logMessage(conn.mode.kind === "room" ? "peer" : "recv", data);
    return;
  }
  const [match] = waiting.splice(index, 1);
  logMessage("echo", data, { rtt: performance.now() - (match?.at ?? 0) });
}
