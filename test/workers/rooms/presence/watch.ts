/**
 * Members for presence tests: joining with query parameters (`client=`, `presence=1`,
 * `history=0`) and headers, and reading the room's JSON frames they receive.
 */
import { onTestFinished } from "vitest";
import { accept, fetchWithVars, upgradeHeaders, WAIT_MS } from "../../helpers";

export interface PresenceMember {
  readonly id: string;
  readonly info: unknown;
  readonly connections?: number;
}

/** A frame as a watcher reads it (`joined`, `presence`, `join`, `leave`, `message`). */
export interface Frame {
  readonly type: string;
  readonly users?: number;
  readonly members?: PresenceMember[];
  readonly truncated?: boolean;
  readonly member?: PresenceMember;
}

export interface Member {
  readonly socket: WebSocket;
  /** Every JSON frame, in order. */
  readonly frames: Frame[];
  /** Waits for the `count`-th frame (0-based `count - 1`) whose type is `type`, and returns it. */
  next(type: string, count?: number): Promise<Frame>;
  /** The presence frames (`presence`, `join`, `leave`) so far, in order. */
  presence(): Frame[];
  close(): void;
}

/** Joins `room` with `query`, `vars` overriding the config and `headers` added. */
export async function member(
  room: string,
  query: string,
  vars: Partial<Env> = {},
  headers: Record<string, string> = {},
): Promise<Member> {
  const response = await fetchWithVars(`/rooms/${room}?${query}`, vars, { headers: upgradeHeaders(headers) });
  const socket = accept(response);
  onTestFinished(() => {
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, "test over");
  });
  const frames: Frame[] = [];
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") frames.push(JSON.parse(event.data) as Frame);
  });
  const typed = (type: string) => frames.filter((frame) => frame.type === type);
  return {
    socket,
    frames,
    async next(type, count = 1) {
      const deadline = Date.now() + WAIT_MS;
      while (typed(type).length < count) {
        if (Date.now() > deadline)
          throw new Error(`no ${type} frame #${count}; got ${frames.length}, last ${JSON.stringify(frames.slice(-3))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const frame = typed(type)[count - 1];
      if (frame === undefined) throw new Error("unreachable");
      return frame;
    },
    presence: () => frames.filter((frame) => ["presence", "join", "leave"].includes(frame.type)),
    close: () => socket.close(1000, "bye"),
  };
}

/** Lets reports, announcements and deliveries between objects finish. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
