/**
 * What a room object's parts share of it: its state, its members, its history, the
 * watch on expiring tokens, its place among the room's objects, and the count report.
 */
import type { TokenExpiry } from "./access/expiry";
import type { Acks } from "./acks/acks";
import type { RoomHistory } from "./history/room-history";
import type { Members } from "./members";
import type { RoomPresence } from "./presence/room-presence";
import type { Shard } from "./shards/shard";

export interface RoomParts {
  readonly ctx: DurableObjectState;
  readonly members: Members;
  readonly history: RoomHistory;
  /** Acks and deduplication for members that joined with `&acks=1`. */
  readonly acks: Acks;
  readonly expiry: TokenExpiry;
  /** Who is here, for members that watch (./presence/). */
  readonly presence: RoomPresence;
  /** Built on first use after a wake. */
  readonly shard: () => Shard;
  /** Tells the directory this shard's count; resolves once it has it (shard 0 counts its own live). */
  readonly countChanged: () => Promise<void> | undefined;
}
