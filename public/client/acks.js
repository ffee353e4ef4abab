// @ts-check
/**
 * What a RoomClient has sent and the room has not yet acked (`&acks=1`, docs/rooms.md "Acks"):
 * each message kept, in order, with the id it was sent with, until its ack comes; after every
 * reconnect all of it is sent again, in order, before anything new. The room stores an id once
 * per identity within its history window, so a resend of a message that was stored is acked,
 * not delivered twice. Bounded by `maxQueued`: past it, `send` returns false.
 */

/** @typedef {import("./send-queue.js").Outgoing} Outgoing */

/** The binary frame's header length is this many bytes, big-endian, first (as in envelopes). */
const HEADER_LENGTH_BYTES = 4;
const encoder = new TextEncoder();

/** `bytes` random bytes as hex. @param {number} bytes */
export function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class Outbox {
  /** @type {Map<string, Outgoing>} the frames not yet acked, by id, oldest first */ #kept = new Map();
  /** Ids start with this, unique to the client: the room deduplicates per identity, shared by a token's tabs. */
  #prefix = randomHex(8);
  #next = 1;
  #max;

  /** @param {number} max messages kept (unsent plus unacked) at most */
  constructor(max) {
    this.#max = max;
  }

  /** Unacked messages. */
  get size() {
    return this.#kept.size;
  }

  /**
   * Keeps `message` under a new id and returns the id and its frame; null when full.
   * @param {Outgoing} message @returns {{ id: string, frame: Outgoing } | null}
   */
  add(message) {
    if (this.#kept.size >= this.#max) return null;
    const id = `${this.#prefix}-${this.#next++}`;
    const frame = withId(id, message);
    this.#kept.set(id, frame);
    return { id, frame };
  }

  /** The room stored `id`: it is forgotten. False for an id not kept (acked already). @param {string} id */
  acked(id) {
    return this.#kept.delete(id);
  }

  /** Every frame not yet acked, oldest first: what a new connection sends first. @returns {Outgoing[]} */
  frames() {
    return [...this.#kept.values()];
  }

  /** Forgets every message; returns their ids, oldest first. @returns {string[]} */
  clear() {
    const ids = [...this.#kept.keys()];
    this.#kept.clear();
    return ids;
  }
}

/**
 * `message` in the frame of an acks member: text as `{"id","data"}`; binary as a 4-byte header
 * length, the header's JSON `{"id"}`, then the exact bytes.
 * @param {string} id @param {Outgoing} message @returns {Outgoing}
 */
export function withId(id, message) {
  if (typeof message === "string") return JSON.stringify({ id, data: message });
  const header = encoder.encode(JSON.stringify({ id }));
  const frame = new Uint8Array(HEADER_LENGTH_BYTES + header.byteLength + message.byteLength);
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, HEADER_LENGTH_BYTES);
  frame.set(new Uint8Array(message), HEADER_LENGTH_BYTES + header.byteLength);
  return frame.buffer;
}
