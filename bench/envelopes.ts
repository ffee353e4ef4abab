/**
 * A positioned member's frames, read back into the bytes a sender sent, so the fan-out's
 * verifier checks positioned receivers as it checks verbatim ones. The parsing is the client
 * module's own (public/client/frames.js): the bench reads the wire as a real client does.
 */
import { readFrame } from "../public/client/frames.js";

export type Unwrapped =
  | { kind: "joined" }
  | { kind: "message"; data: Buffer; binary: boolean }
  | { kind: "bad"; problem: string };

/**
 * Reads one member's frames in order. A `joined` frame is allowed only first; it may be
 * missing, since the pool opens sockets before the run listens and the room sends `joined`
 * at once.
 */
export class EnvelopeReader {
  #first = true;

  read(data: Buffer, binary: boolean): Unwrapped {
    const payload = binary ? data.buffer.slice(data.byteOffset, data.byteOffset + data.length) : data.toString();
    const first = this.#first;
    this.#first = false;
    const frame = readFrame(payload, false);
    if (frame.kind === "message")
      return typeof frame.data === "string"
        ? { kind: "message", data: Buffer.from(frame.data), binary: false }
        : { kind: "message", data: Buffer.from(frame.data), binary: true };
    if (first && readFrame(payload, true).kind === "joined") return { kind: "joined" };
    if (frame.kind === "pong") return { kind: "bad", problem: "a pong nobody asked for" };
    return { kind: "bad", problem: frame.kind === "invalid" ? frame.problem : "a frame out of place" };
  }
}
