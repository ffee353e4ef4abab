// @ts-check
/**
 * What a RoomClient's `send` keeps while it is not joined: bounded (a client offline for long
 * must not grow without end), in order, and sent after the next `joined` frame, before anything
 * sent later.
 */

/** @typedef {string | ArrayBuffer} Outgoing a message as a socket sends it */

export class SendQueue {
  /** @type {Outgoing[]} */ #kept = [];
  #max;

  /** @param {number} max messages kept at most */
  constructor(max) {
    this.#max = max;
  }

  /** Keeps `message`; false when the queue is full. @param {Outgoing} message */
  push(message) {
    if (this.#kept.length >= this.#max) return false;
    this.#kept.push(message);
    return true;
  }

  /** Hands every message kept to `send`, oldest first, and forgets them. @param {(message: Outgoing) => void} send */
  drain(send) {
    for (const message of this.#kept.splice(0)) send(message);
  }

  clear() {
    this.#kept.length = 0;
  }
}

/**
 * `data` as a socket sends it; a view's bytes are copied into an ArrayBuffer of their own, so
 * writing to the view after `send` does not change a message still queued.
 * @param {string | ArrayBuffer | ArrayBufferView} data @returns {Outgoing}
 */
export function outgoing(data) {
  if (typeof data === "string" || data instanceof ArrayBuffer) return data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}
