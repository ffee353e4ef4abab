/**
 * Positioned members for tests: joining with `?history=` or `?since=`, and reading
 * the frames they receive (`joined`, then envelopes) into plain records.
 */
import { onTestFinished } from "vitest";
import { HEADER_LENGTH_BYTES } from "../../../../src/rooms/history/envelope";
import { accept, fetchWithVars, upgradeHeaders, WAIT_MS } from "../../helpers";

export interface Frame {
  readonly type: string;
  readonly position: string;
  /** Text, or the bytes of a binary message as numbers. */
  readonly data?: string | number[];
  readonly binary?: boolean;
  readonly sender?: string;
  readonly time?: number;
  readonly via?: string;
  readonly recovered?: boolean;
  readonly replayed?: number;
  readonly start?: string;
  /** A message's id (sent with `&acks=1` or `Idempotency-Key`), or an ack's. */
  readonly id?: string;
}

/** A member that keeps every frame it receives, parsed. */
export interface Positioned {
  readonly socket: WebSocket;
  readonly frames: Frame[];
  /** Resolves once `count` frames have arrived in all. */
  frameCount(count: number): Promise<Frame[]>;
  /** The `data` of the message frames, in order. */
  messages(): (string | number[] | undefined)[];
}

/** Joins `room` with `query` (e.g. `history=0`, `since=…`); `vars` override the config. */
export async function joinPositioned(room: string, query: string, vars: Partial<Env> = {}): Promise<Positioned> {
  const socket = accept(await fetchWithVars(`/rooms/${room}?${query}`, vars, { headers: upgradeHeaders() }));
  onTestFinished(() => {
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, "test over");
  });
  const frames: Frame[] = [];
  const waiting: (() => void)[] = [];
  socket.addEventListener("message", (event) => {
    frames.push(parseFrame(event.data));
    for (const wake of waiting.splice(0)) wake();
  });
  return {
    socket,
    frames,
    async frameCount(count) {
      const deadline = Date.now() + WAIT_MS;
      while (frames.length < count) {
        if (Date.now() > deadline)
          throw new Error(`got ${frames.length} of ${count} frames: ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return frames;
    },
    messages: () => frames.filter((frame) => frame.type === "message").map((frame) => frame.data),
  };
}

/** A frame as the contract describes it: text JSON, or a binary envelope. */
export function parseFrame(data: unknown): Frame {
  if (typeof data === "string") return JSON.parse(data);
  if (!(data instanceof ArrayBuffer)) throw new Error(`unexpected frame ${String(data)}`);
  const length = new DataView(data).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, HEADER_LENGTH_BYTES, length)));
  return { ...header, binary: true, data: [...new Uint8Array(data, HEADER_LENGTH_BYTES + length)] };
}

/** Closes `socket` and waits for its close event. */
export async function drop(socket: WebSocket): Promise<void> {
  const closed = new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
  socket.close(1000, "away for a while");
  await closed;
}
