// @ts-check
/**
 * Reconnecting after an unexpected close, with a countdown: exponential backoff with jitter, so the
 * clients of a restarted server do not all come back at the same moment.
 */
import { byId } from "./dom.js";

/** Reconnect delays double from the base up to the cap; each is then jittered between half and all of it. */
const BACKOFF_BASE_MS = 1000;
/** After 1013 "try again later" (a full or busy room) the first wait is this long, not a second. */
const LATER_BASE_MS = 5000;
const BACKOFF_CAP_MS = 30_000;
/** The countdown is redrawn this often, so its seconds never lag. */
const COUNTDOWN_TICK_MS = 250;

const countdown = byId("retry", HTMLElement);

let attempt = 0;
/** @type {{ timer: number, tick: number, reconnect: () => void } | null} */
let scheduled = null;

/** Starts the backoff afresh: the user asked for a socket, or the last one stayed up long enough. */
export function resetBackoff() {
  attempt = 0;
}

/**
 * Calls `reconnect` after the backoff's next delay, counting down; longer when the server said "later".
 * @param {() => void} reconnect @param {boolean} later
 */
export function scheduleReconnect(reconnect, later = false) {
  const ceiling = Math.min(BACKOFF_CAP_MS, (later ? LATER_BASE_MS : BACKOFF_BASE_MS) * 2 ** attempt);
  const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
  attempt++;
  const due = performance.now() + delay;
  const show = () => {
    const seconds = Math.max(1, Math.ceil((due - performance.now()) / 1000));
    countdown.textContent = `Reconnecting in ${seconds} s (attempt ${attempt})`;
  };
  scheduled = { timer: setTimeout(reconnect, delay), tick: setInterval(show, COUNTDOWN_TICK_MS), reconnect };
  show();
  countdown.hidden = false;
}

/** Cancels the reconnect, if one is counting down. */
export function cancelReconnect() {
  if (!scheduled) return;
  clearTimeout(scheduled.timer);
  clearInterval(scheduled.tick);
  scheduled = null;
  countdown.hidden = true;
}

/** Whether a reconnect is counting down. */
export function reconnectScheduled() {
  return scheduled !== null;
}

/** Reconnects at once if one is counting down. */
export function reconnectNow() {
  scheduled?.reconnect();
}
