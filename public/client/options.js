// @ts-check
/** A RoomClient's options: what each means and its default (docs/client-module.md "Options"). */

/**
 * @typedef {object} RoomClientOptions
 * @property {number} [history] messages replayed on the first join (`?history=N`); default 0
 * @property {() => Promise<string> | string} [getToken] a private room's token: asked for before
 *   the first join and again after each 4401 (without it, 4401 stops the client); sent as the
 *   subprotocol entry `room-token.<token>` beside `room-token`, never in the URL
 * @property {string} [token] a private room's token when there is no getToken (a 4401 then stops the client)
 * @property {string[]} [protocols] the application's own subprotocols, offered first; default none
 * @property {typeof WebSocket} [WebSocket] the constructor to use; default the global one
 * @property {number} [minDelayMs] first reconnect delay; default 500
 * @property {number} [laterDelayMs] first delay after 1013 "try again later"; default 5000
 * @property {number} [maxDelayMs] the cap on any delay; default 30000
 * @property {number} [growth] each failed attempt multiplies the delay by this; default 2
 * @property {number} [minUptimeMs] a membership that lasted this long resets the backoff; default 5000
 * @property {number} [connectTimeoutMs] from opening a socket to its `joined` frame; default 10000
 * @property {number} [maxQueued] messages kept until acked (unsent plus unacked); past it `send` returns false;
 *   default 100
 * @property {number} [maxRetries] failed attempts in a row before giving up; default Infinity
 * @property {boolean} [presence] follow who is here (`?presence=batch`): the `presence` map and the
 *   `presence`, `join` and `leave` events; default false
 * @property {number} [pingIntervalMs] while joined, send the room a text `ping` this often and take
 *   a connection that answers nothing by the next one as dropped (1006); default 0, off
 */

/** Every option with a value: `getToken` and `token` alone may be absent (a public room needs none). */
/** @typedef {Required<Omit<RoomClientOptions, "getToken" | "token">> & Pick<RoomClientOptions, "getToken" | "token">} ResolvedOptions */

/** @param {RoomClientOptions} options @returns {ResolvedOptions} */
export function withDefaults(options) {
  return {
    history: 0,
    WebSocket: globalThis.WebSocket,
    minDelayMs: 500,
    laterDelayMs: 5000,
    maxDelayMs: 30_000,
    growth: 2,
    minUptimeMs: 5000,
    connectTimeoutMs: 10_000,
    protocols: [],
    maxQueued: 100,
    maxRetries: Number.POSITIVE_INFINITY,
    pingIntervalMs: 0,
    presence: false,
    ...options,
  };
}
