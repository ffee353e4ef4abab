// @ts-check
/**
 * The Room card's "Here" list: who is in the room, from a RoomClient joined with
 * `{ presence: true }` (client/presence.js). Each user once, with its info's `name` when its
 * token gave one; the list is rebuilt on each snapshot, join and leave.
 */
import { byId } from "./dom.js";

/** @import { RoomClient } from "./client/room-client.js" */

const list = byId("presence", HTMLUListElement);
const count = byId("presence-count", HTMLOutputElement);

/**
 * Shows `client`'s presence while the page follows it.
 * @param {RoomClient} client @param {(client: RoomClient) => boolean} followed
 */
export function showPresence(client, followed) {
  const render = () => {
    if (followed(client)) renderPresence(client.presence);
  };
  client.on("presence", render);
  client.on("join", render);
  client.on("leave", render);
}

/** Empties the list: the page left the room, or follows it without presence. */
export function clearPresence() {
  renderPresence(new Map());
  count.value = "–";
}

/** @param {ReadonlyMap<string, import("./client/presence.js").PresenceEntry>} members */
function renderPresence(members) {
  const items = [...members].map(([id, { info, connections }]) => {
    const item = document.createElement("li");
    const name = info !== null && typeof info.name === "string" ? info.name : null;
    item.textContent = name === null ? id : `${name} (${id})`;
    item.dataset.id = id;
    if (connections > 1) item.title = `${connections} connections`;
    return item;
  });
  list.replaceChildren(...items);
  count.value = String(members.size);
}
