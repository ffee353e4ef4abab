// @ts-check
/** The Room card: joining a room (a socket on `/rooms/<name>`), leaving it, its members and the objects it spans. */
import { byId, showError } from "./dom.js";
import { setRoomHistory, setRoomPresence, setRoomToken } from "./room-member.js";
import { clearPresence } from "./room-presence.js";
import { connect, currentConnection, onSocket, openConnection } from "./socket.js";
import { setStatus } from "./status.js";
import { modeFor, urlFor, urlValue } from "./url.js";

/**
 * The member count is fetched on joining, on the refresh button, when the tab comes back,
 * and after room traffic (messages, joins and leaves) at most this often. Never on a timer alone: each count wakes the
 * room's Durable Object, and an idle room must be left to hibernate.
 */
const MEMBERS_REFRESH_MS = 5000;
/**
 * The first count waits this long after joining: a refused join (room full, a token
 * refused) is closed at once, and then no request is made that would only be refused too.
 */
const FIRST_COUNT_DELAY_MS = 300;
/** The server's rule for room names. */
const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const ui = {
  form: byId("room-form", HTMLFormElement),
  room: byId("room", HTMLInputElement),
  roomError: byId("room-error", HTMLElement),
  echo: byId("room-echo", HTMLInputElement),
  token: byId("room-token", HTMLInputElement),
  client: byId("room-client", HTMLInputElement),
  leave: byId("leave", HTMLButtonElement),
  members: byId("members", HTMLOutputElement),
  shards: byId("shards", HTMLOutputElement),
  membersRefresh: byId("members-refresh", HTMLButtonElement),
};

let membersTimer = 0;
let membersActive = false;
let membersFetchedAt = 0;
/** The token the room was joined with: the count needs it too, as `Authorization: Bearer`. */
let joinedToken = "";

/** Binds Join, Leave and the count's refresh, and follows the socket into and out of rooms. */
export function setupRoom() {
  ui.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = ui.room.value.trim();
    if (!ROOM_NAME.test(name)) {
      showError(ui.room, ui.roomError, "Use 1 to 64 letters, digits, - or _.");
      return;
    }
    showError(ui.room, ui.roomError, "");
    /** @type {Record<string, string>} */
    const params = {};
    if (ui.echo.checked) params.echo = "1";
    // A browser cannot set headers on a WebSocket: a private room's token goes as a subprotocol entry.
    const token = ui.token.value.trim();
    joinedToken = token;
    setRoomToken(token);
    const client = ui.client.value.trim();
    if (client !== "") params.client = client;
    const url = urlFor(`/rooms/${name}`, params);
    setStatus("connecting", `Joining room ${name}…`);
    // A private room's count needs its token; such a room is taken to keep history, and presence.
    const kept = token !== "" ? { history: true, presence: true } : await roomFeatures(url);
    setRoomHistory(kept.history);
    setRoomPresence(kept.presence);
    connect(url);
  });
  ui.room.addEventListener("input", () => showError(ui.room, ui.roomError, ""));
  ui.leave.addEventListener("click", () => {
    clearPresence();
    ui.members.value = "–";
    ui.shards.value = "–";
    connect(urlFor("/ws"));
  });
  ui.membersRefresh.addEventListener("click", () => refreshMembers());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && membersActive) refreshMembers();
  });
  onSocket({
    connecting({ mode }) {
      if (mode.kind !== "room") return;
      ui.room.value = mode.name;
      ui.echo.checked = mode.echo;
    },
    opened({ mode }) {
      if (mode.kind === "room") startMembers();
    },
    received: membersAfterTraffic,
    sent: membersAfterTraffic,
    presence: membersAfterTraffic,
    closed: stopMembers,
    changed() {
      ui.leave.disabled = modeFor(urlValue()).kind !== "room";
      ui.membersRefresh.disabled = openConnection()?.mode.kind !== "room";
    },
  });
}

function startMembers() {
  stopMembers();
  membersActive = true;
  membersTimer = setTimeout(() => {
    membersTimer = 0;
    refreshMembers();
  }, FIRST_COUNT_DELAY_MS);
}

function stopMembers() {
  membersActive = false;
  clearTimeout(membersTimer);
  membersTimer = 0;
}

/** After room traffic (the room is awake anyway): refresh the count, at most once per interval. */
function membersAfterTraffic() {
  if (!membersActive || membersTimer !== 0 || document.visibilityState !== "visible") return;
  const wait = Math.max(0, membersFetchedAt + MEMBERS_REFRESH_MS - performance.now());
  membersTimer = setTimeout(() => {
    membersTimer = 0;
    refreshMembers();
  }, wait);
}

/** `GET /rooms/<name>` on the socket's host: `{ name, connections, shards }`, checked, as any host may answer. */
async function refreshMembers() {
  const conn = currentConnection();
  if (conn?.mode.kind !== "room") return;
  membersFetchedAt = performance.now();
  const url = new URL(conn.url);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.search = "";
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (joinedToken !== "") headers.Authorization = `Bearer ${joinedToken}`;
  try {
    const response = await fetch(url, { cache: "no-store", headers });
    /** @type {unknown} */
    const body = response.ok ? await response.json() : null;
    if (conn !== currentConnection()) return;
    const count = roomCount(body);
    ui.members.value = count === null ? "?" : String(count.connections);
    ui.shards.value = count?.shards == null ? "?" : String(count.shards);
  } catch {
    if (conn !== currentConnection()) return;
    ui.members.value = "?";
    ui.shards.value = "?";
  }
}

/**
 * Whether the room's server keeps history and lists who is here (`GET /rooms/<name>` says how
 * many messages and users): with `ROOM_HISTORY_MESSAGES=0` a positioned join is refused, so the
 * page joins as a plain member; with `ROOM_PRESENCE_MAX=0` it joins without presence.
 * @param {string} socketUrl @returns {Promise<{ history: boolean, presence: boolean }>}
 */
async function roomFeatures(socketUrl) {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.search = "";
  try {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    /** @type {unknown} */
    const body = response.ok ? await response.json() : null;
    const off = (/** @type {string} */ field) =>
      typeof body === "object" &&
      body !== null &&
      field in body &&
      /** @type {Record<string, unknown>} */ (body)[field] === 0;
    return { history: !off("history"), presence: !off("presence") };
  } catch {
    return { history: true, presence: true };
  }
}

/** @param {unknown} body @returns {{ connections: number, shards: number | null } | null} */
function roomCount(body) {
  if (typeof body !== "object" || body === null) return null;
  if (!("connections" in body) || typeof body.connections !== "number") return null;
  const shards = "shards" in body && typeof body.shards === "number" ? body.shards : null;
  return { connections: body.connections, shards };
}
