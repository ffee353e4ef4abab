/**
 * A join reaching one room object, with the Worker's ticket: shard 0 takes it while
 * it has places or sends it on (the directory's placement); another shard holds a
 * place while the directory admits it. Admitted, the member is let in, its token's
 * expiry is watched, and a positioned member is caught up from the room's history.
 */
import { refusedSocket } from "../http/refused-socket";
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER } from "../protocol/close-codes";
import type { JoinTicket } from "./join-ticket";
import type { RoomParts } from "./parts";
import { DIRECTORY_SHARD } from "./shards/names";
import { placeAt, ROOM_BUSY_REASON, ROOM_FULL_REASON } from "./shards/placement";

export class Joins {
  constructor(private readonly ports: RoomParts) {}

  /** The 101 of the member let in, a refusal (a 101 closed with a reason), or "join shard k instead". */
  take(ticket: JoinTicket): Promise<Response> {
    return this.ports.shard().directory === null ? this.atShard(ticket) : this.atDirectory(ticket);
  }

  /** Shard 0 takes a join while it has places; else the directory sends it to another shard. */
  private async atDirectory(ticket: JoinTicket): Promise<Response> {
    const { members } = this.ports;
    const directory = this.ports.shard().directory;
    if (directory === null) throw new Error("only shard 0 of a room keeps its directory");
    const { shardConnections, maxConnections, keys } = ticket;
    const placement = await directory.place(() => members.count(), shardConnections, maxConnections, keys);
    if (placement.kind === "shard") return placeAt(placement.index);
    if (placement.kind === "full") return refusedSocket(CLOSE_TRY_AGAIN_LATER, ROOM_FULL_REASON, ticket.protocol);
    // Past a cap per user or per address: a policy of the room's, not a moment's load.
    if (placement.kind === "capped") return refusedSocket(CLOSE_POLICY_VIOLATION, placement.reason, ticket.protocol);
    return this.accept(ticket);
  }

  /**
   * Any other shard: full, it sends the join back to the directory, having told it
   * so. Else it holds a place while the directory checks the room's total, which
   * joins on every shard pass one at a time, so racing joins never overfill.
   */
  private async atShard(ticket: JoinTicket): Promise<Response> {
    const shard = this.ports.shard();
    if (shard.occupancy() >= ticket.shardConnections) {
      await this.ports.countChanged();
      return placeAt(DIRECTORY_SHARD);
    }
    const admission = await shard.admit(ticket.maxConnections, ticket.keys, ticket.presenceMax);
    try {
      if (admission.kind === "admitted") return this.accept(ticket, admission.presence);
    } finally {
      shard.release(ticket.keys, admission.kind === "admitted");
    }
    void this.ports.countChanged();
    if (admission.kind === "capped") return refusedSocket(CLOSE_POLICY_VIOLATION, admission.reason, ticket.protocol);
    const reason = admission.kind === "full" ? ROOM_FULL_REASON : ROOM_BUSY_REASON;
    return refusedSocket(CLOSE_TRY_AGAIN_LATER, reason, ticket.protocol);
  }

  /** Lets the member in; a token that will expire asks for a wake at its `exp`; `presence`: an admission's snapshot. */
  private accept(ticket: JoinTicket, presence?: unknown): Response {
    const { ctx, members, history, expiry, acks } = this.ports;
    const { response, socket } = members.accept(ticket);
    this.ports.presence.accepted(socket, ticket, presence);
    ctx.waitUntil(expiry.joined(ticket.access.expires));
    history.configure(ticket.history);
    if (ticket.position !== null) {
      const sources = this.ports.shard().historySources((query) => history.read(query));
      const identity = ticket.acks;
      history.join(
        socket,
        ticket.position,
        sources,
        identity === null ? undefined : (catchUp) => acks.live(socket, identity, catchUp),
      );
    }
    return response;
  }
}
