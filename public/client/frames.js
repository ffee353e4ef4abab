// @ts-check
/**
 * The frames of a positioned room membership, read and checked (never trusted): the
 * `joined` frame, a text envelope (JSON with `data`), a binary envelope (a 4-byte
 * big-endian header length, the header's UTF-8 JSON, then the message's bytes), the ack
 * of a message sent (`&acks=1`) and the room's `pong`. The contract is docs/rooms.md "History"; pure, no DOM.
 */

/** The binary envelope's header length is this many bytes, big-endian, first. */
const HEADER_LENGTH_BYTES = 4;
/** The room's answer to a text `ping`, sent raw even to positioned members. */
const PONG = "pong";

// The frames as the wire carries them (JSON), before they are checked.
/** @typedef {{ type: "joined", position: string, recovered: boolean, replayed: number, start?: string }} JoinedFrame */
/** @typedef {{ type: "message", position: string, sender: string, time: number, via?: "http", id?: string }} EnvelopeHeader */
/** @typedef {{ type: "ack", id: string, position: string }} AckFrame the room stored the message sent with `id` */
/** @typedef {EnvelopeHeader & { data: string }} TextEnvelope a text message; a binary one's header has no `data` */

// What the client makes of them.
/** @import { PresenceFrames } from "./presence.js" */
/** @typedef {string | ArrayBuffer} Payload a text message, or a binary one's bytes (as a WebSocket's "arraybuffer") */
/** @typedef {{ position: string, sender: string, time: number, via: "http" | null, id: string | null }} Header */
/** @typedef {{ id: string, position: string }} Ack */
/** @typedef {{ position: string, recovered: boolean, replayed: number, start: string | null }} Joined */
/**
 * @typedef {{ kind: "joined", joined: Joined } | { kind: "message", data: Payload, header: Header }
 *   | { kind: "presence", presence: PresenceFrames } | { kind: "ack", ack: Ack } | { kind: "pong" }
 *   | { kind: "invalid", problem: string }} Frame
 */

import { readPresence } from "./presence.js";

const decoder = new TextDecoder();

/**
 * A frame as received (binary as an ArrayBuffer); `joining`: the membership's first frame is due.
 * @param {unknown} data @param {boolean} joining @returns {Frame}
 */
export function readFrame(data, joining) {
  if (typeof data === "string") {
    if (data === PONG) return { kind: "pong" };
    const value = parseJson(data);
    if (joining) {
      const joined = parseJoined(value);
      return joined === null ? invalid("the first frame is not a joined frame") : { kind: "joined", joined };
    }
    const presence = readPresence(value);
    if (presence !== null) return { kind: "presence", presence };
    const ack = parseAck(value);
    if (ack !== null) return { kind: "ack", ack };
    const header = parseHeader(value);
    if (header === null || !isRecord(value) || typeof value.data !== "string")
      return invalid("a text frame that is not a message envelope");
    return { kind: "message", data: value.data, header };
  }
  if (!(data instanceof ArrayBuffer) || data.byteLength < HEADER_LENGTH_BYTES)
    return invalid("a binary frame too short for an envelope");
  const length = new DataView(data).getUint32(0);
  const end = HEADER_LENGTH_BYTES + length;
  if (end > data.byteLength) return invalid("a binary envelope's header runs past the frame");
  const header = parseHeader(parseJson(decoder.decode(new Uint8Array(data, HEADER_LENGTH_BYTES, length))));
  if (header === null) return invalid("a binary envelope without a valid header");
  return { kind: "message", data: data.slice(end), header };
}

/** @param {string} problem @returns {Frame} */
function invalid(problem) {
  return { kind: "invalid", problem };
}

/** @param {string} text @returns {unknown} */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** @param {unknown} value @returns {Joined | null} */
function parseJoined(value) {
  if (!isRecord(value) || value.type !== "joined" || typeof value.position !== "string") return null;
  const { position, recovered, replayed, start } = value;
  if (typeof recovered !== "boolean" || typeof replayed !== "number" || !Number.isSafeInteger(replayed)) return null;
  if (start !== undefined && typeof start !== "string") return null;
  return { position, recovered, replayed, start: start ?? null };
}

/** The fields every message envelope carries. @param {unknown} value @returns {Header | null} */
function parseHeader(value) {
  if (!isRecord(value) || value.type !== "message" || typeof value.position !== "string") return null;
  const { position, sender, time, via, id } = value;
  if (typeof sender !== "string" || typeof time !== "number" || !Number.isFinite(time)) return null;
  if (via !== undefined && via !== "http") return null;
  if (id !== undefined && typeof id !== "string") return null;
  return { position, sender, time, via: via === "http" ? via : null, id: id ?? null };
}

/** @param {unknown} value @returns {Ack | null} */
function parseAck(value) {
  if (!isRecord(value) || value.type !== "ack") return null;
  const { id, position } = value;
  return typeof id === "string" && typeof position === "string" ? { id, position } : null;
}
