/**
 * A room's message as every part of the room handles it: its bytes, and its place in the
 * history of the object it entered by. Both history/ and shards/ use these, so they live
 * below both and import nothing.
 */

/** A message as a member sent it: text or binary. */
export type Payload = string | ArrayBuffer;

/** Where a message stands in its origin's history (the object it entered the room by). */
export interface RelayMeta {
  readonly epoch: string;
  readonly offset: number;
  readonly time: number;
  readonly sender: string;
  readonly via: "http" | null;
  /** The id it was sent with (`&acks=1`, `Idempotency-Key`), and who sent it so (history/sent-ids.ts). */
  readonly id?: string;
  readonly identity?: string;
}
