// @ts-check
/**
 * RoomClient: a room member that loses nothing. It joins positioned (`?history=N`, then
 * `?since=<last position>`), checks the envelopes (frames.js), and after a close that invites
 * it (close-policy.js) comes back with backoff and resumes after the last message delivered.
 * It has a WebSocket's surface (binary as ArrayBuffer), so it drops in where a socket was.
 * No dependencies; browsers and Node 22+. docs/client-module.md.
 */
import { closeAdvice } from "../close-policy.js";
import { JoinedEvent, ReconnectingEvent, RoomCloseEvent, RoomErrorEvent, RoomMessageEvent } from "./events.js";
import { readFrame } from "./frames.js";

export { JoinedEvent, ReconnectingEvent, RoomCloseEvent, RoomErrorEvent, RoomMessageEvent };

/** @typedef {import("./events.js").RoomClientEventMap} RoomClientEventMap every event, by name */
/** @import { Joined } from "./frames.js" */

/**
 * @typedef {object} RoomClientOptions
 * @property {number} [history] messages replayed on the first join (`?history=N`); default 0
 * @property {() => Promise<string> | string} [getToken] a private room's token: asked for before
 *   the first join and again after each 4401 (without it, 4401 stops the client)
 * @property {typeof WebSocket} [WebSocket] the constructor to use; default the global one
 * @property {number} [minDelayMs] first reconnect delay; default 500
 * @property {number} [laterDelayMs] first delay after 1013 "try again later"; default 5000
 * @property {number} [maxDelayMs] the cap on any delay; default 30000
 * @property {number} [growth] each failed attempt multiplies the delay by this; default 2
 * @property {number} [minUptimeMs] a membership that lasted this long resets the backoff; default 5000
 * @property {number} [connectTimeoutMs] from opening a socket to its `joined` frame; default 10000
 * @property {number} [maxQueued] sends kept while not joined; past it `send` returns false; default 100
 * @property {number} [maxRetries] failed attempts in a row before giving up; default Infinity
 * @property {number} [pingIntervalMs] while joined, send the room a text `ping` this often and take
 *   a connection that answers nothing by the next one as dropped (1006); default 0, off
 */

/** Why the client stopped, in words, by what stopped it. */
const STOP_WHY = {
  stop: "the server's answer would be the same",
  "new-token": "the room refused the token and there is no getToken to ask for another",
  retries: "gave up after maxRetries attempts",
  user: "closed by the user",
};
const CONNECT_TIMEOUT_REASON = "no joined frame within connectTimeoutMs";
/** Rooms answer this text with `pong` themselves, without waking their object: a free liveness check. */
const PING = "ping";
const PING_TIMEOUT_REASON = "nothing heard within pingIntervalMs of a ping";

/** One member of a room, across as many connections as it takes; its events: RoomClientEventMap. */
export class RoomClient extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;

  /** @type {string | URL | (() => string)} */ #target;
  /** @type {Required<Omit<RoomClientOptions, "getToken">> & Pick<RoomClientOptions, "getToken">} */ #options;
  /** @type {WebSocket | null} */ #socket = null;
  /** @type {string | null} */ #position = null;
  /** @type {string | null} */ #token = null;
  #needToken = true;
  #joined = false;
  #attempt = 0;
  #joinedAt = 0;
  #closing = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #timer;
  /** @type {ReturnType<typeof setInterval> | undefined} */ #heartbeat;
  #heard = true;
  /** @type {(string | ArrayBuffer)[]} */ #queue = [];
  /** 0 connecting or waiting to reconnect, 1 joined, 3 stopped: a WebSocket's numbers. */
  readyState = RoomClient.CONNECTING;
  /** For the WebSocket surface: binary messages are always ArrayBuffer. */
  binaryType = "arraybuffer";
  protocol = "";
  /** The room's URL as given (with a function, the last one it gave). */
  url = "";

  /**
   * @param {string | URL | (() => string)} url the room's `ws:`/`wss:` URL, or a function
   *   called before each attempt @param {RoomClientOptions} [options]
   */
  constructor(url, options = {}) {
    super();
    this.#target = url;
    if (typeof url !== "function") this.url = String(url);
    this.#options = {
      history: 0,
      WebSocket: globalThis.WebSocket,
      minDelayMs: 500,
      laterDelayMs: 5000,
      maxDelayMs: 30_000,
      growth: 2,
      minUptimeMs: 5000,
      connectTimeoutMs: 10_000,
      maxQueued: 100,
      maxRetries: Number.POSITIVE_INFINITY,
      pingIntervalMs: 0,
      ...options,
    };
    // After this task's code, so listeners added right after `new` hear every event.
    queueMicrotask(() => this.#connect());
  }

  /** The position of the last message delivered (or of the join): where a resume starts. */
  get position() {
    return this.#position;
  }

  /**
   * Typed `addEventListener`; returns a function that removes the listener.
   * @template {keyof RoomClientEventMap} K
   * @param {K} type @param {(event: RoomClientEventMap[K]) => void} listener
   */
  on(type, listener) {
    const handler = /** @type {EventListener} */ (listener);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  /**
   * Sends now when joined, else keeps it for the next join. False: stopped, or the queue is full.
   * @param {string | ArrayBuffer | ArrayBufferView} data
   */
  send(data) {
    if (this.readyState === RoomClient.CLOSED) return false;
    const message = typeof data === "string" || data instanceof ArrayBuffer ? data : copy(data);
    if (this.#joined && this.#socket !== null) {
      this.#socket.send(message);
      return true;
    }
    if (this.#queue.length >= this.#options.maxQueued) return false;
    this.#queue.push(message);
    return true;
  }

  /** Leaves the room for good; `close` follows once the socket has closed. @param {number} [code] @param {string} [reason] */
  close(code = 1000, reason = "") {
    if (this.readyState === RoomClient.CLOSED || this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
    if (this.#socket !== null && this.#socket.readyState < 2) this.#socket.close(code, reason);
    else queueMicrotask(() => this.#stop(code, reason, STOP_WHY.user));
  }

  async #connect() {
    if (this.#closing) return;
    const url = new URL(typeof this.#target === "function" ? this.#target() : this.#target);
    if (typeof this.#target === "function") this.url = url.href;
    if (this.#position !== null) url.searchParams.set("since", this.#position);
    else url.searchParams.set("history", String(this.#options.history));
    if (this.#options.getToken !== undefined) {
      if (this.#needToken) {
        try {
          this.#token = await this.#options.getToken();
        } catch (error) {
          this.#stop(4401, "", `getToken failed: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        if (this.#closing) return this.#stop(1000, "", STOP_WHY.user);
        this.#needToken = false;
      }
      if (this.#token !== null) url.searchParams.set("token", this.#token);
    }
    const resumed = this.#position !== null;
    const socket = new this.#options.WebSocket(url.href);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    this.#timer = setTimeout(() => {
      this.#forget(socket);
      socket.close();
      this.#closed(1006, CONNECT_TIMEOUT_REASON);
    }, this.#options.connectTimeoutMs);
    socket.onmessage = (event) => this.#frame(event.data, resumed);
    socket.onclose = (event) => {
      clearTimeout(this.#timer);
      this.#forget(socket);
      this.#closed(event.code, event.reason);
    };
  }

  /** @param {unknown} data @param {boolean} resumed */
  #frame(data, resumed) {
    this.#heard = true;
    const frame = readFrame(data, !this.#joined);
    if (frame.kind === "joined") this.#join(frame.joined, resumed);
    else if (frame.kind === "message") {
      this.#position = frame.header.position;
      this.dispatchEvent(new RoomMessageEvent(frame.data, frame.header));
    } else if (frame.kind === "pong") this.dispatchEvent(new Event("pong"));
    else this.dispatchEvent(new RoomErrorEvent(frame.problem));
  }

  /** @param {Joined} joined @param {boolean} resumed */
  #join(joined, resumed) {
    clearTimeout(this.#timer);
    this.#joined = true;
    this.#joinedAt = Date.now();
    this.#position = joined.position;
    this.protocol = this.#socket?.protocol ?? "";
    this.readyState = RoomClient.OPEN;
    this.dispatchEvent(new Event("open"));
    this.dispatchEvent(new JoinedEvent(joined, resumed));
    for (const message of this.#queue.splice(0)) this.#socket?.send(message);
    if (this.#options.pingIntervalMs > 0) this.#beat(this.#socket);
  }

  /**
   * A connection can die without a close (a phone changing networks, a sleeping laptop): only
   * a frame heard proves it alive. @param {WebSocket | null} socket
   */
  #beat(socket) {
    this.#heard = true;
    this.#heartbeat = setInterval(() => {
      if (socket === null || this.#socket !== socket) return clearInterval(this.#heartbeat);
      if (this.#heard) {
        this.#heard = false;
        socket.send(PING);
        return;
      }
      this.#forget(socket);
      socket.close();
      this.#closed(1006, PING_TIMEOUT_REASON);
    }, this.#options.pingIntervalMs);
  }

  /** A socket ended: come back, wait longer, ask for a token, or stop. @param {number} code @param {string} reason */
  #closed(code, reason) {
    // Only a membership that lasted starts the backoff afresh: a server that admits and closes at once is not hammered.
    if (this.#joined && Date.now() - this.#joinedAt >= this.#options.minUptimeMs) this.#attempt = 0;
    this.#joined = false;
    if (this.#closing) return this.#stop(code, reason, STOP_WHY.user);
    const advice = closeAdvice(code, false);
    if (advice === "stop" || (advice === "new-token" && this.#options.getToken === undefined))
      return this.#stop(code, reason, STOP_WHY[advice]);
    if (this.#attempt >= this.#options.maxRetries) return this.#stop(code, reason, STOP_WHY.retries);
    if (advice === "new-token") this.#needToken = true;
    const base = advice === "retry-later" ? this.#options.laterDelayMs : this.#options.minDelayMs;
    const ceiling = Math.min(this.#options.maxDelayMs, base * this.#options.growth ** this.#attempt);
    // Between half and all of the ceiling, so members dropped together do not all return together.
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#attempt++;
    this.readyState = RoomClient.CONNECTING;
    this.#timer = setTimeout(() => this.#connect(), delay);
    this.dispatchEvent(new ReconnectingEvent(code, reason, delay, this.#attempt));
  }

  /** @param {number} code @param {string} reason @param {string} why */
  #stop(code, reason, why) {
    if (this.readyState === RoomClient.CLOSED) return;
    clearTimeout(this.#timer);
    this.readyState = RoomClient.CLOSED;
    this.#queue.length = 0;
    this.dispatchEvent(new RoomCloseEvent(code, reason, why));
  }

  /** Stops listening to `socket`: its later events are not ours. @param {WebSocket} socket */
  #forget(socket) {
    clearInterval(this.#heartbeat);
    socket.onmessage = null;
    socket.onclose = null;
    if (this.#socket === socket) this.#socket = null;
  }
}

/** A view's bytes as an ArrayBuffer of their own. @param {ArrayBufferView} view */
function copy(view) {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer;
}
