// @ts-check
/**
 * RoomClient: a member of an edge-echo room that loses nothing. It joins positioned
 * (`?history=N` the first time, `?since=<last position>` after), unwraps the room's
 * envelopes, keeps the last position, and after a drop reconnects with backoff and
 * resumes right after the last message it delivered. Which closes it comes back after
 * is read from the close code (close-policy.js). It has a WebSocket's surface (send,
 * close, readyState, url, open/message/close events), so it drops in where a socket
 * was, plus `joined` and `reconnecting` events. No dependencies; browsers and Node 22+.
 *
 *   const room = new RoomClient("wss://host/rooms/lobby", { history: 50 });
 *   room.addEventListener("message", (e) => show(e.data));
 *   room.addEventListener("joined", (e) => e.detail.recovered || reloadFromYourDatabase());
 */
import { closeAdvice } from "../close-policy.js";

/** Bytes that say how long a binary envelope's header is (big-endian). */
const HEADER_LENGTH_BYTES = 4;

/**
 * @typedef {object} RoomClientOptions
 * @property {number} [history] messages to replay on the first join (`?history=`); default 0
 * @property {() => string | Promise<string>} [getToken] a private room's token; asked again after 4401
 * @property {typeof WebSocket} [WebSocket] the constructor to use; default the global one
 * @property {number} [minDelayMs] first reconnect delay (doubles each attempt, jittered); default 500
 * @property {number} [maxDelayMs] reconnect delay cap; default 30000
 * @property {number} [laterDelayMs] first delay after 1013 "try again later"; default 5000
 * @property {number} [minUptimeMs] a connection up this long resets the backoff; default 5000
 * @property {number} [connectTimeoutMs] an attempt not joined by then is dropped and retried; default 10000
 * @property {number} [maxQueued] messages `send` keeps while disconnected; default 100
 */

/**
 * @typedef {object} RoomMessage
 * @property {string | ArrayBuffer} data the message, as its sender sent it
 * @property {string} sender @property {number} time @property {string} position
 * @property {"http" | undefined} via "http": published by a backend with POST
 */

/**
 * @typedef {object} JoinedDetail
 * @property {boolean} recovered false: messages were missed; reload the state from elsewhere
 * @property {number} replayed messages from history that follow
 * @property {boolean} resumed this join came back after a drop
 * @property {string} position
 */

export class RoomClient extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;

  /** @type {WebSocket | null} */ #ws = null;
  /** @type {string | null} */ #position = null;
  /** @type {(string | ArrayBuffer)[]} */ #queue = [];
  #attempt = 0;
  #joins = 0;
  #closedByUser = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #timer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #connectTimer;
  #openedAt = 0;
  readyState = RoomClient.CONNECTING;
  /** Kept for the WebSocket surface: frames are always read as ArrayBuffer. */
  binaryType = "arraybuffer";
  protocol = "";

  /** @param {string | URL} url the room's URL (`wss://host/rooms/name`) @param {RoomClientOptions} [options] */
  constructor(url, options = {}) {
    super();
    this.url = String(url);
    this.options = options;
    void this.#connect();
  }

  /** The position of the last message delivered (or of the join): where a resume starts. */
  get position() {
    return this.#position;
  }

  /** Sends now if joined, else queues it (the oldest is dropped past `maxQueued`). @param {string | ArrayBuffer | ArrayBufferView} data */
  send(data) {
    const message = typeof data === "string" || data instanceof ArrayBuffer ? data : copy(data);
    if (this.#ws?.readyState === 1 && this.readyState === RoomClient.OPEN) this.#ws.send(message);
    else {
      this.#queue.push(message);
      if (this.#queue.length > (this.options.maxQueued ?? 100)) this.#queue.shift();
    }
  }

  /** Leaves the room for good. @param {number} [code] @param {string} [reason] */
  close(code = 1000, reason = "") {
    this.#closedByUser = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#connectTimer);
    if (this.#ws && this.#ws.readyState < 2) this.#ws.close(code, reason);
    else this.#stop(code, reason);
  }

  async #connect() {
    const url = new URL(this.url);
    if (this.#position !== null) url.searchParams.set("since", this.#position);
    else url.searchParams.set("history", String(this.options.history ?? 0));
    try {
      if (this.options.getToken) url.searchParams.set("token", await this.options.getToken());
    } catch (error) {
      this.#scheduleRetry(1011, `could not get a token: ${error instanceof Error ? error.message : error}`, false);
      return;
    }
    if (this.#closedByUser) return;
    const Socket = this.options.WebSocket ?? WebSocket;
    const ws = new Socket(url.href);
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    this.#connectTimer = setTimeout(() => ws.close(4000, "connect timeout"), this.options.connectTimeoutMs ?? 10_000);
    ws.addEventListener("open", () => {
      this.#openedAt = Date.now();
    });
    ws.addEventListener("message", (event) => this.#receive(event.data));
    ws.addEventListener("close", (event) => this.#closed(ws, event.code, event.reason));
  }

  /** @param {unknown} data */
  #receive(data) {
    if (typeof data === "string") {
      const frame = JSON.parse(data);
      if (frame.type === "joined") return this.#joined(frame);
      return this.#deliver({ ...frame, data: frame.data });
    }
    if (!(data instanceof ArrayBuffer)) return;
    const length = new DataView(data).getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, HEADER_LENGTH_BYTES, length)));
    this.#deliver({ ...header, data: data.slice(HEADER_LENGTH_BYTES + length) });
  }

  /** @param {{ position: string, recovered: boolean, replayed: number }} frame */
  #joined(frame) {
    clearTimeout(this.#connectTimer);
    this.#position = frame.position;
    this.readyState = RoomClient.OPEN;
    /** @type {JoinedDetail} */
    const detail = {
      recovered: frame.recovered,
      replayed: frame.replayed,
      resumed: this.#joins > 0,
      position: frame.position,
    };
    this.#joins++;
    this.dispatchEvent(new Event("open"));
    this.dispatchEvent(new CustomEvent("joined", { detail }));
    for (const message of this.#queue.splice(0)) this.#ws?.send(message);
  }

  /** @param {RoomMessage} message */
  #deliver(message) {
    this.#position = message.position;
    this.dispatchEvent(Object.assign(new MessageEvent("message", { data: message.data }), { detail: message }));
  }

  /** @param {WebSocket} ws @param {number} code @param {string} reason */
  #closed(ws, code, reason) {
    if (ws !== this.#ws) return;
    clearTimeout(this.#connectTimer);
    this.#ws = null;
    if (Date.now() - this.#openedAt >= (this.options.minUptimeMs ?? 5_000) && this.#openedAt > 0) this.#attempt = 0;
    this.#openedAt = 0;
    const advice = code === 4000 && reason === "connect timeout" ? "retry" : closeAdvice(code, this.#closedByUser);
    if (advice === "stop" || (advice === "new-token" && !this.options.getToken)) return this.#stop(code, reason);
    this.#scheduleRetry(code, reason, advice === "retry-later");
  }

  /** @param {number} code @param {string} reason @param {boolean} later */
  #scheduleRetry(code, reason, later) {
    this.readyState = RoomClient.CONNECTING;
    const base = later ? (this.options.laterDelayMs ?? 5_000) : (this.options.minDelayMs ?? 500);
    const ceiling = Math.min(this.options.maxDelayMs ?? 30_000, base * 2 ** this.#attempt++);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.dispatchEvent(new CustomEvent("reconnecting", { detail: { code, reason, delay, attempt: this.#attempt } }));
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  /** @param {number} code @param {string} reason */
  #stop(code, reason) {
    if (this.readyState === RoomClient.CLOSED) return;
    this.readyState = RoomClient.CLOSED;
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason, wasClean: true }));
  }
}

/** @param {ArrayBufferView} view */
function copy(view) {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer;
}
