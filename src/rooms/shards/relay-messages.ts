/**
 * What one shard of a room sends another: its members' messages, in calls, and
 * the checks the receiver runs on them, since they reach it untyped.
 */
import { EPOCH_PATTERN } from "../history/position";
import type { Payload, RelayMeta } from "../message";
import { isIntegerIn, isRecord, parseSentId } from "../validate";

const MAX = Number.MAX_SAFE_INTEGER;

/** What one shard hands another: its members' messages, oldest first. */
export interface RelayBatch {
  /** The sending shard's index. */
  readonly from: number;
  /** The receiver's incarnation (the list version it joined at) the batch is meant for. */
  readonly incarnation: number;
  /** Messages for the receiver that the sender could not deliver since its last delivered batch. */
  readonly missed: number;
  readonly messages: readonly Payload[];
  /** With history on: each message's place in the sender's history, in the same order. */
  readonly meta?: readonly RelayMeta[];
}

/**
 * One message too large for a call's arguments (the runtime caps them at 32 MiB, and a
 * message may be 32 MiB itself), sent alone as a stream of its bytes.
 */
export interface LargeRelay {
  readonly from: number;
  readonly incarnation: number;
  readonly missed: number;
  /** The message was text: the bytes are its UTF-8. */
  readonly text: boolean;
  readonly body: ReadableStream<Uint8Array>;
  readonly meta?: RelayMeta;
}

/** The receiving end: a stub of the other shard. */
export interface RelayTarget {
  relay(batch: RelayBatch): Promise<unknown>;
  relayLarge(message: LargeRelay): Promise<unknown>;
}

/** The batch in a call from another shard, or null when it is not one. */
export function parseRelayBatch(value: unknown): RelayBatch | null {
  if (!isRecord(value) || !Array.isArray(value.messages)) return null;
  const { from, incarnation, missed, messages } = value;
  if (!isIntegerIn(from, 0, MAX) || !isIntegerIn(incarnation, 0, MAX) || !isIntegerIn(missed, 0, MAX)) return null;
  const payloads: Payload[] = [];
  for (const message of messages) {
    if (typeof message !== "string" && !(message instanceof ArrayBuffer)) return null;
    payloads.push(message);
  }
  if (value.meta === undefined) return { from, incarnation, missed, messages: payloads };
  if (!Array.isArray(value.meta) || value.meta.length !== payloads.length) return null;
  const meta: RelayMeta[] = [];
  for (const entry of value.meta) {
    const parsed = parseRelayMeta(entry);
    if (parsed === null) return null;
    meta.push(parsed);
  }
  return { from, incarnation, missed, messages: payloads, meta };
}

/** The large message in a call from another shard, or null when it is not one. */
export function parseLargeRelay(value: unknown): LargeRelay | null {
  if (!isRecord(value) || typeof value.text !== "boolean" || !(value.body instanceof ReadableStream)) return null;
  const { from, incarnation, missed, text, body } = value;
  if (!isIntegerIn(from, 0, MAX) || !isIntegerIn(incarnation, 0, MAX) || !isIntegerIn(missed, 0, MAX)) return null;
  if (value.meta === undefined) return { from, incarnation, missed, text, body };
  const meta = parseRelayMeta(value.meta);
  return meta === null ? null : { from, incarnation, missed, text, body, meta };
}

function parseRelayMeta(value: unknown): RelayMeta | null {
  if (!isRecord(value)) return null;
  const { epoch, offset, time, sender, via } = value;
  if (typeof epoch !== "string" || !EPOCH_PATTERN.test(epoch)) return null;
  if (!isIntegerIn(offset, 1, MAX) || !isIntegerIn(time, 0, MAX)) return null;
  if (typeof sender !== "string" || sender.length === 0 || sender.length > 128) return null;
  if (via !== null && via !== "http") return null;
  const sent = parseSentId(value.id, value.identity);
  if (sent === null) return null;
  return { epoch, offset, time, sender, via, ...(sent ?? {}) };
}
