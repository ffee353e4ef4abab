/**
 * Server pushes (`push`, `interval`, `push_type`, `push_size`): messages the server
 * sends of its own accord, numbered so a client can tell a missing or reordered one.
 */
import type { PushControl, PushType } from "./controls";
import type { Scheduler } from "./timers";

/** A binary push starts with its sequence number and the server's clock, each a big-endian uint64. */
export const BINARY_PUSH_HEADER_BYTES = 16;

/**
 * Push number `seq` of `of`, sent at server time `at` (ms since the epoch), `size` bytes
 * long or as long as its header needs. Text: `{"push":SEQ,"of":N,"at":MS,"pad":"…"}`, the
 * pad (ASCII, so one byte a character) filling it to `size`. Binary: SEQ and MS as two
 * big-endian uint64, then zeros.
 */
export function encodePush(type: PushType, seq: number, of: number, at: number, size: number): string | ArrayBuffer {
  if (type === "text") {
    const bare = JSON.stringify({ push: seq, of, at, pad: "" });
    return bare.length >= size ? bare : JSON.stringify({ push: seq, of, at, pad: "x".repeat(size - bare.length) });
  }
  const bytes = new ArrayBuffer(Math.max(size, BINARY_PUSH_HEADER_BYTES));
  const view = new DataView(bytes);
  view.setBigUint64(0, BigInt(seq));
  view.setBigUint64(8, BigInt(at));
  return bytes;
}

/** Sends `control.count` pushes, one every `control.intervalMs`, the first one interval after `start()`. */
export class Pushes {
  private sent = 0;
  private startedAt = 0;

  constructor(
    private readonly timers: Scheduler,
    private readonly control: PushControl,
    private readonly send: (push: string | ArrayBuffer) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.startedAt = this.now();
    this.timers.after(this.control.intervalMs, () => this.next());
  }

  private next(): void {
    const seq = ++this.sent;
    const { count, intervalMs, type, size } = this.control;
    this.send(encodePush(type, seq, count, this.now(), size));
    // Each push is timed from the start, not from the previous one, so a late timer does not drift the rest.
    if (seq < count)
      this.timers.after(Math.max(0, this.startedAt + (seq + 1) * intervalMs - this.now()), () => this.next());
  }
}
