// @ts-check
/**
 * edge-echo's browser client: one socket at a time, to the echo (`/ws`) or a room
 * (`/rooms/<name>`); a log of every message with its size and, for echoes, the round trip.
 * This entry wires the modules, one per card or concern, and opens the first socket.
 */
import { setupControls } from "./controls.js";
import { setupLog } from "./log.js";
import { setupSender } from "./messages.js";
import { reconnectNow } from "./reconnect.js";
import { setupRoom } from "./room.js";
import { connect, disconnect } from "./socket.js";
import { bindConnectionForm, socketUrl } from "./url.js";

bindConnectionForm(connect, disconnect);
setupSender();
setupRoom();
setupControls();
setupLog();
// Back online: no point waiting out the backoff.
addEventListener("online", reconnectNow);
connect(socketUrl("/ws"));
