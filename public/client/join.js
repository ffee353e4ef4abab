// @ts-check
/**
 * What one attempt to join sends: the room's URL with the join's parameters, and the
 * subprotocols. A join is positioned: `history=N` the first time, `since=<position>` after,
 * so it resumes after the last message delivered. A token goes as a subprotocol entry of its
 * own, never in the URL: a URL ends up in logs, and a browser cannot set a header.
 */

/** Offered with a token, so the server has a protocol to answer that is not the token itself. */
export const TOKEN_PROTOCOL = "room-token";

/**
 * @typedef {object} JoinParams
 * @property {string | null} position where to resume; null the first time
 * @property {number} history messages to replay the first time
 * @property {boolean} presence whether to ask for presence
 * @property {string} client the client's own identity, for a URL that names none
 */

/** The URL of one attempt. @param {string | URL} target @param {JoinParams} params @returns {URL} */
export function joinUrl(target, { position, history, presence, client }) {
  const url = new URL(target);
  if (position !== null) url.searchParams.set("since", position);
  else url.searchParams.set("history", String(history));
  // Joins and leaves that come together arrive in one frame: a room where hundreds watch stays cheap.
  if (presence) url.searchParams.set("presence", "batch");
  url.searchParams.set("acks", "1");
  // A `client` the URL names (a page's name for presence) is the identity; else the client's own.
  if (!url.searchParams.has("client")) url.searchParams.set("client", client);
  return url;
}

/** The subprotocols of one attempt: the app's, then the token's two entries. @param {readonly string[]} protocols @param {string | null} token */
export function joinProtocols(protocols, token) {
  return token === null ? [...protocols] : [...protocols, TOKEN_PROTOCOL, `${TOKEN_PROTOCOL}.${token}`];
}

/** The token for each attempt: the fixed `token`, or `getToken`'s, asked for again only after the room refused it (4401). */
export class Tokens {
  /** @type {string | null} */ #token = null;
  #needed = true;
  #options;

  /** @param {{ token?: string | undefined, getToken?: (() => string | Promise<string>) | undefined }} options */
  constructor(options) {
    this.#options = options;
  }

  /** The next attempt asks `getToken` again. */
  renew() {
    this.#needed = true;
  }

  /** The token for the next attempt; null without one. Rejects when `getToken` does. @returns {Promise<string | null>} */
  async current() {
    const { getToken, token } = this.#options;
    if (getToken === undefined) return token ?? null;
    if (this.#needed) {
      this.#token = await getToken();
      this.#needed = false;
    }
    return this.#token;
  }
}
