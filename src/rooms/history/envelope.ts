/**
 * What a positioned member receives: each message in an envelope saying where it is
 * in the room's history, who sent it and when. Text stays text (a JSON text frame);
 * binary stays binary: a 4-byte big-endian header length, the header's UTF-8 JSON
 * (the text envelope's fields but `data`), then the message's bytes unchanged. Pure.
 */
import type { Payload } from "../message";
import type { Entry, LiveEntry } from "./store";

/** The first frame of a positioned membership. */
export interface Joined {
  readonly type: "joined";
  /** Where the membership starts: every frame after this one comes after it. */
  readonly position: string;
  /** False when `since` could not be honoured (the window passed, history was lost): nothing is replayed. */
  readonly recovered: boolean;
  /** Message frames from history that follow before live ones. */
  readonly replayed: number;
  /** With `recovered: false`: where history now starts. */
  readonly start?: string;
}

/** The header of a message envelope (all of it, for text, plus `data`). */
export interface EnvelopeHeader {
  readonly type: "message";
  readonly position: string;
  /** The sending member's id (its token's `sub` in a private room), or the publisher's. */
  readonly sender: string;
  /** Milliseconds since the epoch, when the message entered the room. */
  readonly time: number;
  /** "http": published with `POST /rooms/:name`. */
  readonly via?: "http";
  /** The id it was sent with (`&acks=1` or `Idempotency-Key`), so receivers can deduplicate too. */
  readonly id?: string;
}

/** The bytes that say how long a binary envelope's header is. */
export const HEADER_LENGTH_BYTES = 4;

export function headerOf(entry: Entry, position: string): EnvelopeHeader {
  const header: EnvelopeHeader = { type: "message", position, sender: entry.sender, time: entry.time };
  const via = entry.via === "http" ? { ...header, via: "http" as const } : header;
  return entry.id === undefined ? via : { ...via, id: entry.id };
}

/** The frame a positioned member receives for `entry`. */
export function envelopeFrame(entry: LiveEntry, position: string): Payload {
  const header = headerOf(entry, position);
  if (typeof entry.data === "string") return JSON.stringify({ ...header, data: entry.data });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const frame = new Uint8Array(HEADER_LENGTH_BYTES + json.byteLength + entry.data.byteLength);
  new DataView(frame.buffer).setUint32(0, json.byteLength);
  frame.set(json, HEADER_LENGTH_BYTES);
  frame.set(new Uint8Array(entry.data), HEADER_LENGTH_BYTES + json.byteLength);
  return frame.buffer;
}

/** `entry` as JSON for `GET /rooms/:name/history`: binary as base64, marked `binary: true`. */
export function jsonEnvelope(entry: LiveEntry, position: string): EnvelopeHeader & { data: string; binary?: true } {
  const header = headerOf(entry, position);
  if (typeof entry.data === "string") return { ...header, data: entry.data };
  return { ...header, data: [...base64Chunks(entry.data)].join(""), binary: true };
}

/** Bytes per base64 chunk: a multiple of 3, so the chunks join into one base64 text. */
const BASE64_CHUNK_BYTES = 3 * 64 * 1024;

/** `data` as base64, a chunk at a time (a 32 MiB message as one string of bytes would double its cost). */
export function* base64Chunks(data: ArrayBuffer): Generator<string> {
  const bytes = new Uint8Array(data);
  for (let at = 0; at < bytes.byteLength; at += BASE64_CHUNK_BYTES) {
    let binary = "";
    for (const byte of bytes.subarray(at, at + BASE64_CHUNK_BYTES)) binary += String.fromCharCode(byte);
    yield btoa(binary);
  }
}
