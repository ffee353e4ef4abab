// @ts-check
/**
 * A connection can die without a close (a phone changing networks, a sleeping laptop): only a
 * frame heard proves it alive. While joined, the heartbeat sends the room a text `ping` each
 * interval; the room answers `pong` itself, without waking its object, so it costs no request.
 * A connection that has sent nothing by the next ping is taken as dropped.
 */

/** The text a room answers with `pong`. */
const PING = "ping";

export class Heartbeat {
  /** @type {ReturnType<typeof setInterval> | undefined} */ #timer;
  #heard = true;

  /**
   * Pings `socket` every `intervalMs`; calls `onSilent` (once, then stops) when nothing was
   * heard between two pings. @param {WebSocket} socket @param {number} intervalMs
   * @param {() => void} onSilent
   */
  start(socket, intervalMs, onSilent) {
    this.stop();
    this.#heard = true;
    this.#timer = setInterval(() => {
      if (this.#heard) {
        this.#heard = false;
        socket.send(PING);
        return;
      }
      this.stop();
      onSilent();
    }, intervalMs);
  }

  /** A frame arrived: the connection is alive. */
  heard() {
    this.#heard = true;
  }

  stop() {
    clearInterval(this.#timer);
  }
}
