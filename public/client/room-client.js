// @ts-check
/**
 * RoomClient: a room member that loses nothing. It joins positioned (`?history=N`, then
 * `?since=<last position>`), and after a close that invites it (close-policy.js) comes back
 * (backoff.js) and resumes after the last message delivered. It has a WebSocket's surface
 * (binary as ArrayBuffer), so it drops in where a socket was. Every message `send` accepts is
 * kept until the room acks it (acks.js) and sent again after a reconnect: delivered once, or
 * `failed` says so. No dependencies; browsers and Node 22+. The entry of the package edge-echo-client: docs/client-module.md.
 */

import { Outbox, randomHex } from "./acks.js";
import { Backoff } from "./backoff.js";
import { nextStep, STOP_WHY } from "./close-policy.js";
import {
  AckEvent,
  FailedEvent,
  JoinedEvent,
  PendingEvent,
  ReconnectingEvent,
  RoomCloseEvent,
  RoomErrorEvent,
  RoomEvents,
  RoomMessageEvent,
} from "./events.js";
import { readFrame } from "./frames.js";
import { Heartbeat } from "./heartbeat.js";
import { joinProtocols, joinUrl, Tokens } from "./join.js";
import { withDefaults } from "./options.js";
import { PresenceMap } from "./presence.js";
import { outgoing } from "./send-queue.js";

// For the package's users: the events and their map, the frames' types (as read and as on the wire).
export { closeAdvice } from "./close-policy.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./presence.js";

/** @typedef {import("./close-policy.js").CloseAdvice} CloseAdvice what a close code invites */
/** @typedef {import("./options.js").RoomClientOptions} RoomClientOptions */
/** @import { Joined } from "./frames.js" */
/** @import { PresenceEntry } from "./presence.js" */

const CONNECT_TIMEOUT_REASON = "no joined frame within connectTimeoutMs";
const PING_TIMEOUT_REASON = "nothing heard within pingIntervalMs of a ping";

/** One member of a room, across as many connections as it takes; its events: RoomClientEventMap. */
export class RoomClient extends RoomEvents {
  /** @type {0} */ static CONNECTING = 0;
  /** @type {1} */ static OPEN = 1;
  /** @type {3} */ static CLOSED = 3;

  /** @type {string | URL | (() => string)} */ #target;
  /** @type {import("./options.js").ResolvedOptions} */ #options;
  /** @type {WebSocket | null} */ #socket = null;
  /** @type {string | null} */ #position = null;
  #joined = false;
  #closing = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #timer;
  #backoff;
  #outbox;
  #tokens;
  /** Who this client is to the room's deduplication in an open room (`?client=`): kept across reconnects. */
  #client = randomHex(16);
  #heartbeat = new Heartbeat();
  #presence = new PresenceMap();
  /** @type {0 | 1 | 3} 0 connecting or waiting to reconnect, 1 joined, 3 stopped: a WebSocket's numbers */
  readyState = RoomClient.CONNECTING;
  /** @type {"arraybuffer"} for the WebSocket surface: binary messages are always ArrayBuffer */
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
    this.#options = withDefaults(options);
    this.#backoff = new Backoff(this.#options);
    this.#outbox = new Outbox(this.#options.maxQueued);
    this.#tokens = new Tokens(this.#options);
    // After this task's code, so listeners added right after `new` hear every event.
    queueMicrotask(() => this.#connect());
  }

  /** With `{ presence: true }`: who is here, id → { info, connections } (presence.js). @returns {ReadonlyMap<string, PresenceEntry>} */
  get presence() {
    return this.#presence.members;
  }

  /** The position of the last message delivered (or of the join): where a resume starts. */
  get position() {
    return this.#position;
  }

  /** Messages `send` accepted that the room has not acked yet. */
  get pending() {
    return this.#outbox.size;
  }

  /**
   * Sends now when joined, else keeps it for the next join; either way it is kept until acked.
   * Returns the message's id (its `ack` and `failed` events name it), or false: stopped, or
   * `maxQueued` messages are unacked.
   * @param {string | ArrayBuffer | ArrayBufferView} data @returns {string | false}
   */
  send(data) {
    if (this.readyState === RoomClient.CLOSED || this.#closing) return false;
    const kept = this.#outbox.add(outgoing(data));
    if (kept === null) return false;
    if (this.#joined && this.#socket !== null) this.#socket.send(kept.frame);
    this.dispatchEvent(new PendingEvent(this.#outbox.size));
    return kept.id;
  }

  /**
   * Sends the room a text `ping`, which it answers with `pong` itself: a keep-alive, never a
   * message (`send("ping")` sends a message). False when not joined.
   */
  ping() {
    if (!this.#joined || this.#socket === null) return false;
    this.#socket.send("ping");
    return true;
  }

  /** Leaves the room for good; `close` follows once the socket has closed. @param {number} [code] @param {string} [reason] */
  close(code = 1000, reason = "") {
    if (this.readyState === RoomClient.CLOSED || this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#timer);
    if (this.#socket !== null && this.#socket.readyState < 2) this.#socket.close(code, reason);
    else queueMicrotask(() => this.#stop(code, reason, STOP_WHY.user));
  }

  async #connect() {
    if (this.#closing) return;
    const target = typeof this.#target === "function" ? this.#target() : this.#target;
    const { history, presence } = this.#options;
    const url = joinUrl(target, { position: this.#position, history, presence, client: this.#client });
    if (typeof this.#target === "function") this.url = url.href;
    /** @type {string | null} */ let token;
    try {
      token = await this.#tokens.current();
    } catch (error) {
      return this.#stop(4401, "", `getToken failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.#closing) return this.#stop(1000, "", STOP_WHY.user);
    const resumed = this.#position !== null;
    const socket = new this.#options.WebSocket(url.href, joinProtocols(this.#options.protocols, token));
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    this.#timer = setTimeout(() => this.#drop(socket, CONNECT_TIMEOUT_REASON), this.#options.connectTimeoutMs);
    socket.onmessage = (event) => this.#frame(event.data, resumed);
    socket.onclose = (event) => {
      clearTimeout(this.#timer);
      this.#forget(socket);
      this.#closed(event.code, event.reason);
    };
  }

  /** @param {unknown} data @param {boolean} resumed */
  #frame(data, resumed) {
    this.#heartbeat.heard();
    const frame = readFrame(data, !this.#joined);
    if (frame.kind === "joined") this.#join(frame.joined, resumed);
    else if (frame.kind === "message") {
      this.#position = frame.header.position;
      // Its own message replayed after a drop: stored, though the ack was lost. Taken as the ack,
      // so the position (now past it) never resumes somewhere that would not know it when resent.
      const { id } = frame.header;
      if (id !== null && this.#outbox.acked(id)) this.#acked(id, frame.header.position);
      this.dispatchEvent(new RoomMessageEvent(frame.data, frame.header));
    } else if (frame.kind === "presence") {
      const { presence } = frame;
      for (const one of presence.kind === "batch" ? presence.events : [presence])
        this.dispatchEvent(this.#presence.apply(one));
    } else if (frame.kind === "ack") {
      if (this.#outbox.acked(frame.ack.id)) this.#acked(frame.ack.id, frame.ack.position);
    } else if (frame.kind === "pong") this.dispatchEvent(new Event("pong"));
    else this.dispatchEvent(new RoomErrorEvent(frame.problem));
  }

  /** @param {Joined} joined @param {boolean} resumed */
  #join(joined, resumed) {
    clearTimeout(this.#timer);
    this.#joined = true;
    this.#backoff.joined();
    this.#position = joined.position;
    this.protocol = this.#socket?.protocol ?? "";
    this.readyState = RoomClient.OPEN;
    this.dispatchEvent(new Event("open"));
    this.dispatchEvent(new JoinedEvent(joined, resumed));
    const socket = this.#socket;
    if (socket === null) return;
    // Whatever is unacked goes again, in order, before anything new: the room acks a repeat without delivering it.
    for (const frame of this.#outbox.frames()) socket.send(frame);
    const { pingIntervalMs } = this.#options;
    if (pingIntervalMs > 0)
      this.#heartbeat.start(socket, pingIntervalMs, () => this.#drop(socket, PING_TIMEOUT_REASON));
  }

  /** @param {string} id @param {string} position */
  #acked(id, position) {
    this.dispatchEvent(new AckEvent(id, position));
    this.dispatchEvent(new PendingEvent(this.#outbox.size));
  }

  /** A socket ended: come back, wait longer, ask for a token, or stop. @param {number} code @param {string} reason */
  #closed(code, reason) {
    this.#backoff.ended();
    this.#joined = false;
    if (this.#closing) return this.#stop(code, reason, STOP_WHY.user);
    const { attempt } = this.#backoff;
    const { getToken, maxRetries } = this.#options;
    const step = nextStep(code, { canRenewToken: getToken !== undefined, attempt, maxRetries });
    if (step.stop !== null) return this.#stop(code, reason, step.stop);
    if (step.newToken) this.#tokens.renew();
    const delay = this.#backoff.next(step.later);
    this.readyState = RoomClient.CONNECTING;
    this.#timer = setTimeout(() => this.#connect(), delay);
    this.dispatchEvent(new ReconnectingEvent(code, reason, delay, this.#backoff.attempt));
  }

  /** @param {number} code @param {string} reason @param {string} why */
  #stop(code, reason, why) {
    if (this.readyState === RoomClient.CLOSED) return;
    clearTimeout(this.#timer);
    this.readyState = RoomClient.CLOSED;
    const unacked = this.#outbox.clear();
    for (const id of unacked) this.dispatchEvent(new FailedEvent(id, why));
    if (unacked.length > 0) this.dispatchEvent(new PendingEvent(0));
    this.dispatchEvent(new RoomCloseEvent(code, reason, why));
  }

  /** Gives up on a socket that went silent: a drop, as if the network had closed it. @param {WebSocket} socket @param {string} reason */
  #drop(socket, reason) {
    this.#forget(socket);
    socket.close();
    this.#closed(1006, reason);
  }

  /** Stops listening to `socket`: its later events are not ours. @param {WebSocket} socket */
  #forget(socket) {
    this.#heartbeat.stop();
    socket.onmessage = null;
    socket.onclose = null;
    if (this.#socket === socket) this.#socket = null;
  }
}
