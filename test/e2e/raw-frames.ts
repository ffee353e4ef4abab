/**
 * RFC 6455 framing (§5.2) from the client's side: encodes masked frames with any
 * FIN, RSV and opcode, and parses the server's frames. Pure, so it is unit-tested.
 */
import { randomBytes } from "node:crypto";

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** One frame as it was on the wire (payload unmasked). */
export interface Frame {
  fin: boolean;
  /** The three reserved bits as a number 0-7 (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/** A close frame's payload, parsed. `code` is null for an empty payload. */
export interface Close {
  code: number | null;
  reason: string;
  /** The reason exactly as sent, before UTF-8 decoding. */
  reasonBytes: Buffer;
}

export interface FrameOptions {
  fin?: boolean;
  rsv?: number;
  /** Clients must mask; false only to test a server's answer to an unmasked frame. */
  mask?: boolean;
}

/** Encodes one frame; by default final, no reserved bits, masked as a client must. */
export function encodeFrame(opcode: number, payload: Uint8Array | string = "", options: FrameOptions = {}): Buffer {
  const { fin = true, rsv = 0, mask = true } = options;
  const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const lengthBytes = data.length < 126 ? 0 : data.length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xf);
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) header[1] = maskBit | data.length;
  else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!mask) return Buffer.concat([header, data]);
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) ^ (key[i & 3] ?? 0);
  return Buffer.concat([header, data]);
}

/** A close frame's payload: the code big-endian, then the reason (raw bytes allowed). */
export function closePayload(code: number, reason: string | Uint8Array = ""): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, typeof reason === "string" ? Buffer.from(reason) : Buffer.from(reason)]);
}

/** Parses a close frame's payload; a 1-byte payload (malformed) has a null code and keeps its byte. */
export function parseClose(payload: Buffer): Close {
  if (payload.length < 2) return { code: null, reason: "", reasonBytes: Buffer.from(payload) };
  const reasonBytes = payload.subarray(2);
  return { code: payload.readUInt16BE(0), reason: reasonBytes.toString("utf8"), reasonBytes };
}

/** Splits a byte stream into frames; bytes of an incomplete frame wait for the next `push`. */
export class FrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (true) {
      const frame = this.next();
      if (frame === null) return frames;
      frames.push(frame);
    }
  }

  /** Bytes received that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.buffered.length;
  }

  private next(): Frame | null {
    const b = this.buffered;
    if (b.length < 2) return null;
    const first = b[0] ?? 0;
    const second = b[1] ?? 0;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const keyOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return null;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < length; i++) payload[i] = (payload[i] ?? 0) ^ (b[keyOffset + (i & 3)] ?? 0);
    this.buffered = b.subarray(offset + length);
    return { fin: (first & 0x80) !== 0, rsv: (first >> 4) & 0x7, opcode: first & 0xf, payload };
  }
}

/** A frame in words, for failure messages. */
export function describe(frame: Frame): string {
  if (frame.opcode === OP_CLOSE) {
    const close = parseClose(frame.payload);
    return `close ${close.code ?? "(no code)"} ${JSON.stringify(close.reason)}`;
  }
  const names: Record<number, string> = { 0: "continuation", 1: "text", 2: "binary", 9: "ping", 10: "pong" };
  return `${names[frame.opcode] ?? `opcode ${frame.opcode}`} frame of ${frame.payload.length} bytes`;
}
