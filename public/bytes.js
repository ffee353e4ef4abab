// @ts-check
/** Message payloads: size on the wire, hex in and out, comparison. No DOM. */

/** Bytes of a binary message shown as hex in its row. */
const HEX_PREVIEW_BYTES = 32;

/** @typedef {string | Uint8Array<ArrayBuffer>} Payload a text message, or a binary one's bytes */

const encoder = new TextEncoder();

/** UTF-8 bytes, as on the wire. @param {string} text */
export function utf8Length(text) {
  return encoder.encode(text).byteLength;
}

/**
 * A message event's data; binary is an ArrayBuffer (the socket's `binaryType`).
 * @param {unknown} data @returns {Payload}
 */
export function toPayload(data) {
  return typeof data === "string" ? data : new Uint8Array(data instanceof ArrayBuffer ? data : new ArrayBuffer(0));
}

/** Same type and same content. @param {Payload} a @param {Payload} b */
export function samePayload(a, b) {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/**
 * Parses `de ad be ef`, `deadbeef`, `0xde,0xad` or `de:ad`; the error is a sentence for the user.
 * @param {string} input @returns {{ bytes: Uint8Array<ArrayBuffer> } | { error: string }}
 */
export function parseHex(input) {
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

/** `de ad be ef`, cut with `…` after HEX_PREVIEW_BYTES. @param {Uint8Array} bytes */
export function hexPreview(bytes) {
  const shown = Array.from(bytes.subarray(0, HEX_PREVIEW_BYTES), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.byteLength > HEX_PREVIEW_BYTES ? `${shown} …` : shown;
}

/** `12 B`, `1.5 KiB`, `3.0 MiB`. @param {number} n */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
