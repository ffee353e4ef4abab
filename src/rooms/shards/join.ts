/**
 * A join, from the Worker: it asks shard 0 and follows the placement answers
 * (./placement.ts) to the shard that takes the member, so the socket ends in the
 * object that holds it, exactly as in a room of one object.
 */
import { refusedSocket } from "../../http/refused-socket";
import { CLOSE_TRY_AGAIN_LATER } from "../../protocol/close-codes";
import { JOIN_TICKET_HEADER, type JoinTicket } from "../join-ticket";
import { DIRECTORY_SHARD, type Rooms, shardStub } from "./names";
import { placedAt, ROOM_BUSY_REASON } from "./placement";

/**
 * Shards a join may be sent to: shard 0, a shard it picks, and once more each
 * when that shard filled up meanwhile. Joins racing for the last places settle
 * within this; past it the room is changing too fast, and the join is refused.
 */
export const MAX_JOIN_HOPS = 6;

/** The 101 of the shard that took the member, or a refusal (also a 101, closed with a reason). */
export async function joinRoom(rooms: Rooms, room: string, ticket: JoinTicket): Promise<Response> {
  let index = DIRECTORY_SHARD;
  for (let hop = 0; hop < MAX_JOIN_HOPS; hop++) {
    const response = await shardStub(rooms, room, index).fetch("https://room.internal/join", {
      headers: { Upgrade: "websocket", [JOIN_TICKET_HEADER]: JSON.stringify(ticket) },
    });
    const next = placedAt(response);
    if (next === null) return response;
    index = next;
  }
  return refusedSocket(CLOSE_TRY_AGAIN_LATER, ROOM_BUSY_REASON, ticket.protocol);
}
