/**
 * Helpers for room tests: a fresh room name, joining through the Worker, the live
 * count. Waiting for messages and closes is in ./helpers.ts, shared with the echo tests.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { onTestFinished } from "vitest";
import type { Room } from "../../../src/rooms/room";
import { shardStub } from "../../../src/rooms/shards/names";
import { accept, fetchWithVars, fetchWorker, upgradeHeaders } from "../helpers";

/** A room no other test uses, so tests never see each other's members. */
export function freshRoom(label = "room"): string {
  return `${label}-${crypto.randomUUID()}`;
}

export interface JoinOptions {
  /** Join with `?echo=1`. */
  echo?: boolean;
  /** `[vars]` to override for this join (limits travel from the Worker to the Room with the join). */
  vars?: Partial<Env>;
  headers?: Record<string, string>;
}

/** The 101 response to a join, unaccepted, for tests that inspect it. */
export function joinResponse(room: string, options: JoinOptions = {}): Promise<Response> {
  const path = `/rooms/${room}${options.echo === true ? "?echo=1" : ""}`;
  const init = { headers: upgradeHeaders(options.headers) };
  return options.vars === undefined ? fetchWorker(path, init) : fetchWithVars(path, options.vars, init);
}

/** Joins `room` and returns the accepted client end (binary as ArrayBuffer), closed when the test ends. */
export async function joinRoom(room: string, options: JoinOptions = {}): Promise<WebSocket> {
  const socket = accept(await joinResponse(room, options));
  onTestFinished(() => {
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, "test over");
  });
  return socket;
}

/** A tuple of `N` sockets, so `const [alice, bob] = await joinMany(room, 2)` needs no `!`. */
export type Sockets<N extends number, T extends WebSocket[] = []> = T["length"] extends N
  ? T
  : Sockets<N, [...T, WebSocket]>;

/** Joins `room` `count` times, one after the other. */
export async function joinMany<N extends number>(
  room: string,
  count: N,
  options: JoinOptions = {},
): Promise<Sockets<N>> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await joinRoom(room, options));
  // Our own array of exactly `count` sockets: the tuple type only names its length.
  return sockets as Sockets<N>;
}

/** `connections` from `GET /rooms/:name`, failing clearly on any other answer. */
export async function roomConnections(room: string): Promise<number> {
  const response = await fetchWorker(`/rooms/${room}`);
  if (response.status !== 200)
    throw new Error(`GET /rooms/${room} answered ${response.status}: ${await response.text()}`);
  const body: unknown = await response.json();
  if (typeof body !== "object" || body === null || !("connections" in body) || typeof body.connections !== "number") {
    throw new Error(`GET /rooms/${room} answered ${JSON.stringify(body)}: no numeric "connections"`);
  }
  return body.connections;
}

/** `GET /rooms/:name` as parsed JSON, failing clearly on any other answer. */
export async function roomInfo(room: string): Promise<{ connections: number; shards: number }> {
  const response = await fetchWorker(`/rooms/${room}`);
  if (response.status !== 200)
    throw new Error(`GET /rooms/${room} answered ${response.status}: ${await response.text()}`);
  const body: unknown = await response.json();
  if (
    typeof body !== "object" ||
    body === null ||
    !("connections" in body) ||
    !("shards" in body) ||
    typeof body.connections !== "number" ||
    typeof body.shards !== "number"
  ) {
    throw new Error(`GET /rooms/${room} answered ${JSON.stringify(body)}: no numeric "connections" and "shards"`);
  }
  return { connections: body.connections, shards: body.shards };
}

/** The stub of one shard of a room, as the Worker reaches it. */
export function roomShard(room: string, index: number): DurableObjectStub<Room> {
  return shardStub(env.ROOMS, room, index);
}

/** Open member sockets in each of shards 0 to `count - 1`, read inside each object. */
export async function shardMembers(room: string, count: number): Promise<number[]> {
  const members: number[] = [];
  for (let index = 0; index < count; index++) {
    members.push(
      await runInDurableObject(roomShard(room, index), (_room: Room, state) => {
        return state.getWebSockets().filter((socket) => socket.readyState === WebSocket.OPEN).length;
      }),
    );
  }
  return members;
}
