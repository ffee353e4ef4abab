// @ts-check
/**
 * A message as a RoomClient sends it (what it keeps until acked is in acks.js).
 */

/** @typedef {string | ArrayBuffer} Outgoing a message as a socket sends it */

/**
 * `data` as a socket sends it; a view's bytes are copied into an ArrayBuffer of their own, so
 * writing to the view after `send` does not change a message still queued.
 * @param {string | ArrayBuffer | ArrayBufferView} data @returns {Outgoing}
 */
export function outgoing(data) {
  if (typeof data === "string" || data instanceof ArrayBuffer) return data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}
