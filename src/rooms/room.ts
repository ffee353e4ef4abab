/**
 * A broadcast room: one Durable Object per room name and, past
 * ROOM_SHARD_CONNECTIONS members, further objects of the same room (shards).
 * `RoomObject` (./room-object.ts) hosts the members' sockets; this class is the object's
 * surface for calls: from the Worker (a count, a publish, history and presence pages) and
 * from the room's other objects (./shards/: relays, lists, admissions, reports, history
 * reads). Every argument arrives untyped and is checked before use.
 */

import { parsePosition } from "./history/position";
import { parseHistoryQuery, toWire, type WireRead } from "./history/read";
import type { HistoryQuery } from "./history/sources";
import { type HistoryWindow, parseHistoryWindow } from "./join-ticket";
import type { Payload } from "./message";
import { type PresenceBatch, type PresenceBody, parsePresenceBatch } from "./presence/frames";
import type { PresenceHere } from "./presence/room-presence";
import { RoomObject } from "./room-object";
import { type CountReading, parseCountReading } from "./shards/count-reading";
import type { Admission, RoomCount } from "./shards/directory-answers";
import { type JoinKeys, parseJoinKeys } from "./shards/member-keys";
import { parseShardList, type ShardList } from "./shards/names";
import { type LargeRelay, parseLargeRelay, parseRelayBatch, type RelayBatch } from "./shards/relay-messages";
import type { Stored } from "./traffic";
import { isIntegerIn, isRecord, parseSentId } from "./validate";

/** A publish's `Idempotency-Key`, with who published it. */
interface SentKey {
  readonly identity: string;
  readonly id: string;
}

/** Bound for the integers other shards send. */
const MAX = Number.MAX_SAFE_INTEGER;

export class Room extends RoomObject {
  /** Shard 0: members in the whole room and the objects it spans (see `COUNT_TRUSTED_MS`). */
  count(): Promise<RoomCount> {
    return this.directory.count(() => this.members.count());
  }

  /** Any shard: its count now (with every key's, if `keys`), for the directory, which checks old counts against live sockets. */
  census(keys?: boolean): CountReading {
    return this.shard.census(keys === true);
  }

  /** Shard 0: `GET /rooms/:name/presence`, listing at most `max` users. */
  presenceList(max: number): Promise<PresenceBody> {
    if (!isIntegerIn(max, 1, MAX)) throw new TypeError("malformed presence request");
    return this.presence.gather(max);
  }

  /** Any shard: who it holds, and its full count reading, for shard 0. */
  presenceHere(): PresenceHere {
    return this.presence.here();
  }

  /** Shard 0's presence items, for this object's watchers. */
  presenceItems(batch: PresenceBatch): void {
    const parsed = parsePresenceBatch(batch);
    if (parsed === null) throw new TypeError("malformed presence batch");
    this.presence.received(parsed);
  }

  /**
   * Shard 0: a message published over HTTP (`POST /rooms/:name`, checked by the Worker),
   * to every member on every object, as if a member had sent it.
   */
  publish(message: Payload, sender: string, window: HistoryWindow, key: SentKey | null = null): Stored | null {
    const history = parseHistoryWindow(window);
    const sent = key === null ? undefined : isRecord(key) ? (parseSentId(key.id, key.identity) ?? null) : null;
    if ((typeof message !== "string" && !(message instanceof ArrayBuffer)) || typeof sender !== "string" || !history)
      throw new TypeError("malformed publish");
    if (sent === null) throw new TypeError("malformed publish key");
    this.history.configure(history);
    return this.traffic.published(message, sender, sent);
  }

  /** Any shard: its own history, for a catch-up elsewhere (async as every call between objects is). */
  async historyRead(query: HistoryQuery): Promise<WireRead> {
    const parsed = parseHistoryQuery(query);
    if (parsed === null) throw new TypeError("malformed history query");
    return toWire(this.history.read(parsed));
  }

  /** Any shard: the bytes of one message of its history too large for `historyRead`, as a stream. */
  historyBody(epoch: string, offset: number): ReadableStream<Uint8Array> {
    if (typeof epoch !== "string" || !isIntegerIn(offset, 1, MAX))
      throw new TypeError("malformed history body request");
    return this.history.body(epoch, offset);
  }

  /** Shard 0: the objects whose history may hold the room's messages. */
  historyOrigins(): number[] {
    return this.directory.origins();
  }

  /** Shard 0: `GET /rooms/:name/history` (the Worker checked `since` and `limit`): its JSON body, streamed. */
  historyPage(since: string | null, limit: number, window: HistoryWindow): Promise<ReadableStream<Uint8Array>> {
    const history = parseHistoryWindow(window);
    const position = since === null ? null : parsePosition(since);
    if (!isIntegerIn(limit, 1, MAX) || history === null || (since !== null && position === null))
      throw new TypeError("malformed history page request");
    this.history.configure(history);
    return this.history.page(
      position,
      limit,
      this.shard.historySources((query) => this.history.read(query)),
    );
  }

  /** Another shard's members' messages, in the order that shard received them. */
  relay(batch: RelayBatch): void {
    const parsed = parseRelayBatch(batch);
    if (parsed === null) throw new TypeError("malformed relay batch");
    this.traffic.relayed(parsed.from, parsed.incarnation, parsed.missed, parsed.messages, parsed.meta);
  }

  /** Another shard's member's message too large for `relay`, as a stream of its bytes. */
  async relayLarge(message: LargeRelay): Promise<void> {
    const parsed = parseLargeRelay(message);
    if (parsed === null) throw new TypeError("malformed large relay");
    const bytes = await new Response(parsed.body).arrayBuffer();
    const payload = parsed.text ? new TextDecoder().decode(bytes) : bytes;
    const meta = parsed.meta ? [parsed.meta] : undefined;
    this.traffic.relayed(parsed.from, parsed.incarnation, parsed.missed, [payload], meta);
  }

  /** The directory's new shard list; one older than this shard's is ignored. */
  setShards(list: ShardList): void {
    const parsed = parseShardList(list);
    if (parsed === null) throw new TypeError("malformed shard list");
    this.shard.follow(parsed);
  }

  /** Shard 0: shard `index` asks to take a join that would make its count `reading` (see `Directory.admit`). */
  async admit(
    index: number,
    reading: CountReading,
    maxConnections: number,
    join: JoinKeys,
    presenceMax?: number,
  ): Promise<Admission> {
    const parsed = parseCountReading(reading);
    const keys = parseJoinKeys(join);
    if (!isIntegerIn(index, 1, MAX) || !isIntegerIn(maxConnections, 1, MAX) || parsed === null || parsed.occupancy < 1)
      throw new TypeError("malformed admission");
    if (keys === null || (presenceMax !== undefined && !isIntegerIn(presenceMax, 0, MAX)))
      throw new TypeError("malformed admission");
    const admission = await this.directory.admit(index, parsed, maxConnections, () => this.members.count(), keys);
    if (admission.kind !== "admitted") return admission;
    const presence = await this.presence.admitted(keys, presenceMax);
    return presence === undefined ? admission : { ...admission, presence };
  }

  /** Shard 0: shard `index` now holds `reading.occupancy` members. */
  report(index: number, reading: CountReading): void {
    const parsed = parseCountReading(reading);
    if (!isIntegerIn(index, 1, MAX) || parsed === null) throw new TypeError("malformed report");
    this.directory.report(index, parsed);
    this.directory.emptied(this.members.count());
    this.presence.reported((parsed.keys ?? []).map(([key]) => key));
  }
}
