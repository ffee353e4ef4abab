// @ts-check
/**
 * The page's room membership through the rooms client module (client/room-client.js):
 * positioned where the server keeps history, so a join replays the room's last messages and a
 * drop is resumed, with what was recovered said in the log. Where the server keeps none, the
 * page joins as a plain member on a WebSocket of its own.
 */
import { RoomClient } from "./client/room-client.js";
import { note, settled } from "./log.js";
import { clearPresence, showPresence } from "./room-presence.js";
import { describeClose, setStatus } from "./status.js";
import { autoReconnect, protocols } from "./url.js";

/** Messages a room join replays from history, so a page joining a chat sees what was just said. */
const ROOM_HISTORY = 20;
/** Whether rooms are joined positioned (through RoomClient): not where the server keeps no history. */
let roomHistory = true;

/** Whether rooms are joined with `{ presence: true }`: not where the server has presence off. */
let roomPresence = true;

/** The room's server keeps history (true) or not (false): rooms are then joined as plain members. @param {boolean} kept */
export function setRoomHistory(kept) {
  roomHistory = kept;
}

/**
 * A private room's token (empty: none). It goes as the subprotocol entry `room-token.<token>`
 * beside `room-token`, never in the URL, which the URL field and the log show and servers record.
 */
let roomToken = "";

/** The token to join rooms with from now on; "" for none. @param {string} token */
export function setRoomToken(token) {
  roomToken = token;
}

/** The subprotocols a plain (not positioned) room join offers: the page's, then the token's. */
export function roomProtocols() {
  return roomToken === "" ? protocols() : [...protocols(), "room-token", `room-token.${roomToken}`];
}

/** The room's server lists who is here (true) or not (ROOM_PRESENCE_MAX=0). @param {boolean} on */
export function setRoomPresence(on) {
  roomPresence = on;
}

/** Whether a room is joined through a RoomClient (positioned) rather than a plain WebSocket. */
export function joinsPositioned() {
  return roomHistory;
}

/**
 * A room member that resumes after a drop, saying in the log what it recovered; it reconnects
 * by itself, so the page only hears its last close.
 * @param {string} url @param {(client: RoomClient) => boolean} followed whether the page still follows this client
 */
export function roomClient(url, followed) {
  // With reconnecting off (Options), the first unexpected close is the last.
  const token = roomToken;
  const presence = roomPresence;
  const client = new RoomClient(url, {
    history: ROOM_HISTORY,
    maxRetries: autoReconnect() ? Infinity : 0,
    protocols: protocols(),
    presence,
    // A fixed token, not getToken: the page has no way to mint another, so a 4401 stops it.
    ...(token === "" ? {} : { token }),
  });
  clearPresence();
  if (presence) showPresence(client, followed);
  client.on("joined", ({ recovered, replayed, resumed }) => {
    if (!followed(client)) return;
    if (!recovered) note("could not recover: messages were missed while away (history no longer covers them)", true);
    else if (resumed) note(`resumed, ${replayed} messages replayed`);
    else if (replayed > 0) note(`joined, ${replayed} messages from history`);
  });
  // Each sent message shows as pending in the log until the room has stored it.
  client.on("ack", ({ id }) => settled(id, true));
  client.on("failed", ({ id, reason }) => {
    settled(id, false);
    if (followed(client)) note(`a message was not stored (${id}): ${reason}`, true);
  });
  client.on("reconnecting", ({ code, reason, delay }) => {
    if (!followed(client)) return;
    note(`connection lost: ${describeClose(code, reason)}; resuming in ${(delay / 1000).toFixed(1)} s`, true);
    setStatus("connecting", "Resuming…");
  });
  return client;
}
