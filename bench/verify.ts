/**
 * Echo and fan-out verification. A `SentLog` keeps what one sender sent until
 * every receiver has checked it; a `StreamVerifier` is one receiver's view: it
 * expects exactly those messages, byte for byte, type for type, in order, and
 * tells a message that comes late (reordered) from one that never comes (lost).
 */
import { type MessageKind, makePayload, readSeq, type SentMessage } from "./payload.ts";
import type { RunStats } from "./stats.ts";

/** The messages one sender has sent and not every receiver has confirmed. */
export class SentLog {
  private readonly pending = new Map<number, { message: SentMessage; waiting: number }>();
  /** Messages sent so far; also the next sequence number. */
  sent = 0;

  /** How many receivers must each get every message from now on. */
  private receivers: number;
  /** The fan-out sender whose messages these are (named in each), or null for an echo. */
  readonly stream: number | null;

  constructor(receivers: number, stream: number | null = null) {
    this.receivers = receivers;
    this.stream = stream;
  }

  /** A receiver has finished: later messages no longer wait for it. */
  dropReceiver(): void {
    this.receivers = Math.max(0, this.receivers - 1);
  }

  /** Messages some receiver has not had yet: the sender's window. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Builds message number `sent`, records it, and returns it for sending. */
  next(size: number, kind: MessageKind): SentMessage {
    const seq = this.sent++;
    const message: SentMessage = {
      seq,
      bytes: makePayload(seq, size, kind, this.stream),
      binary: kind === "binary",
      sentAt: performance.now(),
    };
    if (this.receivers > 0) this.pending.set(seq, { message, waiting: this.receivers });
    return message;
  }

  get(seq: number): SentMessage | undefined {
    return this.pending.get(seq)?.message;
  }

  /** One receiver is done with `seq` (got it, or lost it); forgets it after the last one. */
  settle(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined) return;
    if (--entry.waiting === 0) this.pending.delete(seq);
  }
}

/**
 * How many passed-over messages a receiver keeps to check if they come late. A reordering
 * server holds back a few; keeping more would only let a lossy server grow memory, so
 * beyond this the oldest counts as lost at once.
 */
const MAX_OVERTAKEN = 256;

/** One receiver's check of the stream a `SentLog` describes. */
export class StreamVerifier {
  /** The next sequence number this receiver expects. */
  private expected = 0;
  /** Messages a later one overtook, oldest first: reordered if they still come, lost if not. */
  private readonly overtaken = new Map<number, SentMessage>();
  private finished = false;
  private readonly log: SentLog;
  private readonly stats: RunStats;
  private readonly name: string;

  /** @param name for error descriptions, e.g. "connection 3" */
  constructor(log: SentLog, stats: RunStats, name: string) {
    this.log = log;
    this.stats = stats;
    this.name = name;
  }

  /** True once this receiver has every message sent so far, none still late. */
  get upToDate(): boolean {
    return this.expected === this.log.sent && this.overtaken.size === 0;
  }

  /** Checks one received message and records its latency and size. */
  receive(data: Buffer, binary: boolean, now: number): void {
    if (this.finished) return;
    const seq = readSeq(data);
    const late = seq === null ? undefined : this.overtaken.get(seq);
    if (seq !== null && late !== undefined) {
      this.overtaken.delete(seq);
      const problem = difference(late, data, binary);
      if (problem !== null) this.stats.fail("mismatches", `${this.name}: message #${seq} ${problem}`);
      else this.stats.reordered(`${this.name}: message #${seq} came after later messages`);
      return;
    }
    if (seq === null || seq < this.expected || seq >= this.log.sent) {
      const what = seq === null ? "a message without a bench header" : `message #${seq}`;
      this.stats.fail(
        "mismatches",
        `${this.name}: got ${what} (${data.length} bytes) while expecting #${this.expected}`,
      );
      return;
    }
    while (this.expected < seq) this.overtake(this.expected++);
    const sent = this.log.get(seq);
    this.expected++;
    if (sent === undefined) return;
    this.log.settle(seq);
    const problem = difference(sent, data, binary);
    if (problem !== null) {
      this.stats.fail("mismatches", `${this.name}: message #${seq} ${problem}`);
      return;
    }
    this.stats.messages++;
    this.stats.bytes += data.length;
    this.stats.latency.record((now - sent.sentAt) * 1000);
  }

  /** Ends the check: whatever was sent and not received counts as lost. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const missing = this.log.sent - this.expected + this.overtaken.size;
    const [first = this.expected] = this.overtaken.keys();
    this.stats.fail("losses", `${this.name}: ${missing} message(s) never arrived, the first #${first}`, missing);
    this.overtaken.clear();
    while (this.expected < this.log.sent) this.log.settle(this.expected++);
    this.log.dropReceiver();
  }

  /** Message `seq` was passed over: the sender's window moves on, and this receiver keeps it to check. */
  private overtake(seq: number): void {
    const message = this.log.get(seq);
    this.log.settle(seq);
    if (message !== undefined) this.overtaken.set(seq, message);
    if (this.overtaken.size <= MAX_OVERTAKEN) return;
    const [oldest = seq] = this.overtaken.keys();
    this.overtaken.delete(oldest);
    this.stats.fail("losses", `${this.name}: message #${oldest} never arrived`);
  }
}

function difference(sent: SentMessage, data: Buffer, binary: boolean): string | null {
  if (binary !== sent.binary) return `came back as ${kind(binary)}, sent as ${kind(sent.binary)}`;
  if (data.length !== sent.bytes.length) return `came back with ${data.length} bytes, sent ${sent.bytes.length}`;
  if (!data.equals(sent.bytes)) {
    let at = 0;
    while (data[at] === sent.bytes[at]) at++;
    return `differs from what was sent at byte ${at}`;
  }
  return null;
}

function kind(binary: boolean): string {
  return binary ? "binary" : "text";
}
