/**
 * One load-test socket: sends messages that carry their socket and sequence
 * number, and checks every echo against what it still awaits, in order.
 */
import WebSocket from "ws";
import type { Tally } from "./tally.ts";

const HANDSHAKE_TIMEOUT_MS = 20_000;
const CLOSE_NORMAL = 1000;
/** Filler after the sequence numbers, so a message is more than its header. */
const MESSAGE_BYTES = 48;

interface Awaited {
  data: Buffer;
  binary: boolean;
  sentAt: number;
}

/** The message number `seq` of socket `id`: its numbers up front, then bytes derived from them. */
export function loadMessage(id: number, seq: number, binary: boolean): Buffer {
  if (!binary) return Buffer.from(`${id}:${seq}:`.padEnd(MESSAGE_BYTES, String.fromCharCode(97 + ((id + seq) % 26))));
  const bytes = Buffer.alloc(MESSAGE_BYTES);
  bytes.writeUInt32BE(id, 0);
  bytes.writeUInt32BE(seq, 4);
  for (let i = 8; i < MESSAGE_BYTES; i++) bytes[i] = (id * 31 + seq * 7 + i) & 0xff;
  return bytes;
}

export class EchoSocket {
  readonly id: number;
  readonly ws: WebSocket;
  /** Where this socket counts what it sends and receives; a phase may move it to its own tally. */
  tally: Tally;
  /** Sent and not yet echoed, oldest first. */
  private readonly awaited: Awaited[] = [];
  /** Sent, then passed over by a later message's echo. */
  private readonly overtaken: Awaited[] = [];
  private drained: (() => void) | null = null;
  private closing = false;
  private seq = 0;

  private constructor(ws: WebSocket, id: number, tally: Tally) {
    this.ws = ws;
    this.id = id;
    this.tally = tally;
    ws.on("message", (data, binary) => this.receive(asBuffer(data), binary));
    ws.on("error", (error) => {
      if (!this.closing) this.tally.fail("errors", `socket ${id}: ${error.message}`);
    });
    ws.once("close", (code, reason) => {
      if (!this.closing) this.tally.fail("errors", `socket ${id} closed by the server: ${code} ${reason.toString()}`);
      this.drained?.();
    });
  }

  /** Opens a socket; a failed or slow handshake counts as an error and resolves null. */
  static open(url: string, id: number, tally: Tally): Promise<EchoSocket | null> {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    return new Promise((resolve) => {
      const refused = (error: Error) => {
        tally.fail("errors", `socket ${id} handshake: ${error.message}`);
        ws.terminate();
        resolve(null);
      };
      ws.once("error", refused);
      ws.once("open", () => {
        ws.off("error", refused);
        resolve(new EchoSocket(ws, id, tally));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Messages sent and not yet echoed. */
  get pending(): number {
    return this.awaited.length + this.overtaken.length;
  }

  /** Sends the next numbered message. */
  send(binary: boolean): void {
    if (!this.open) return;
    const data = loadMessage(this.id, this.seq++, binary);
    this.awaited.push({ data, binary, sentAt: performance.now() });
    this.tally.sent++;
    this.ws.send(data, { binary });
  }

  /** Resolves when every message sent has been echoed, the socket closed, or `deadline` (ms epoch) passed. */
  async drain(deadline: number): Promise<void> {
    while (this.pending > 0 && this.open) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.drained = null;
    }
  }

  /** Counts what was sent and never echoed as lost, and stops awaiting it. */
  settle(): void {
    this.tally.fail("lost", `socket ${this.id}: ${this.pending} messages never echoed`, this.pending);
    this.awaited.length = 0;
    this.overtaken.length = 0;
  }

  /** Settles, then closes politely (by force if the server does not answer). */
  async close(): Promise<void> {
    this.settle();
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once("close", () => resolve()));
    this.ws.close(CLOSE_NORMAL);
    const timer = setTimeout(() => this.ws.terminate(), 5_000);
    await closed;
    clearTimeout(timer);
  }

  private receive(data: Buffer, binary: boolean): void {
    const matches = (entry: Awaited) => entry.binary === binary && entry.data.equals(data);
    const next = this.awaited.findIndex(matches);
    if (next >= 0) {
      // Whatever this echo skipped is either late (a reorder, counted if it comes) or lost (counted at settle).
      this.overtaken.push(...this.awaited.splice(0, next));
      const [entry] = this.awaited.splice(0, 1);
      this.tally.echoed++;
      if (entry !== undefined) this.tally.rtts.push(performance.now() - entry.sentAt);
    } else {
      const late = this.overtaken.findIndex(matches);
      if (late >= 0) {
        this.overtaken.splice(late, 1);
        this.tally.echoed++;
        this.tally.fail("reordered", `socket ${this.id}: an echo came after later messages' echoes`);
      } else {
        const shown = JSON.stringify(data.subarray(0, 16).toString());
        this.tally.fail("mismatched", `socket ${this.id}: echo ${shown} matches nothing sent`);
      }
    }
    if (this.pending === 0) this.drained?.();
  }
}

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
