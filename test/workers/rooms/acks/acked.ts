/**
 * Members with `&acks=1` for tests: joining positioned with a client identity, sending
 * with ids in both frame forms, and waiting for acks among the frames they receive.
 */
import { HEADER_LENGTH_BYTES } from "../../../../src/rooms/history/envelope";
import { type Frame, joinPositioned, type Positioned } from "../history/positioned";

/** Joins with `acks=1&client=<client>` and `query` (e.g. `history=0`, `since=…`). */
export function joinAcked(
  room: string,
  client: string,
  query = "history=0",
  vars: Partial<Env> = {},
): Promise<Positioned> {
  return joinPositioned(room, `${query}&acks=1&client=${encodeURIComponent(client)}`, vars);
}

/** Sends text `data` with `id` in the text form. */
export function sendText(socket: WebSocket, id: string, data: string): void {
  socket.send(JSON.stringify({ id, data }));
}

/** Sends `bytes` with `id` in the binary header form. */
export function sendBinary(socket: WebSocket, id: string, bytes: number[]): void {
  const header = new TextEncoder().encode(JSON.stringify({ id }));
  const frame = new Uint8Array(HEADER_LENGTH_BYTES + header.byteLength + bytes.length);
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, HEADER_LENGTH_BYTES);
  frame.set(bytes, HEADER_LENGTH_BYTES + header.byteLength);
  socket.send(frame.buffer);
}

/** The acks a member received, in order. */
export function acksOf(member: Positioned): Frame[] {
  return member.frames.filter((frame) => frame.type === "ack");
}

/** Waits until `member` holds `count` acks. */
export async function ackCount(member: Positioned, count: number): Promise<Frame[]> {
  const frames = await member.frameCount(0);
  for (let total = frames.length; acksOf(member).length < count; total++) await member.frameCount(total + 1);
  return acksOf(member);
}
