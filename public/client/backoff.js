// @ts-check
/**
 * How long a RoomClient waits before its next attempt. The delay grows by a factor from a base
 * (a longer one after 1013 "try again later"), up to a cap, and is drawn between half and all of
 * that, so members dropped together do not return together. Only a membership that lasted
 * starts it afresh: a server that admits and closes at once is not hammered.
 */

/**
 * @typedef {object} BackoffOptions
 * @property {number} minDelayMs the first delay after a drop
 * @property {number} laterDelayMs the first delay after 1013
 * @property {number} maxDelayMs the cap on any delay
 * @property {number} growth each failed attempt multiplies the delay by this
 * @property {number} minUptimeMs a membership that lasted this long resets the attempts
 */

export class Backoff {
  /** @type {BackoffOptions} */ #options;
  #attempt = 0;
  /** When the current membership began (`Date.now()`); 0 while not joined. */
  #joinedAt = 0;

  /** @param {BackoffOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** Failed attempts since the last membership that lasted. */
  get attempt() {
    return this.#attempt;
  }

  /** A join succeeded: its uptime counts from now. */
  joined() {
    this.#joinedAt = Date.now();
  }

  /** A connection ended: if its membership lasted `minUptimeMs`, the attempts start afresh. */
  ended() {
    if (this.#joinedAt > 0 && Date.now() - this.#joinedAt >= this.#options.minUptimeMs) this.#attempt = 0;
    this.#joinedAt = 0;
  }

  /**
   * The next delay in ms, counting one more attempt.
   * @param {boolean} later the server said "try again later" (1013)
   */
  next(later) {
    const base = later ? this.#options.laterDelayMs : this.#options.minDelayMs;
    const ceiling = Math.min(this.#options.maxDelayMs, base * this.#options.growth ** this.#attempt);
    this.#attempt++;
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
