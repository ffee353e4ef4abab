/**
 * The broadcast step of a room: one message to every open member but its sender.
 * Pure over a minimal socket shape, so dropping a failing member is unit-tested.
 */
import { canQueue, SlowReaderError } from "../protocol/backpressure";

/** `WebSocket.OPEN`: only open sockets may be sent to; `send()` throws once `close()` was called. */
const OPEN = 1;

/** The part of a WebSocket that fan-out uses. */
export interface Recipient {
  readonly readyState: number;
  /** Bytes queued and not yet sent; undefined where the runtime does not report it. */
  readonly bufferedAmount?: number;
  send(message: string | ArrayBuffer): void;
}

export interface SendFailure<R extends Recipient> {
  readonly recipient: R;
  readonly error: unknown;
}

/**
 * Sends `message` to every open recipient except `sender` (null: a message from
 * another shard, sent to all), and to `sender` too when `includeSender`. A send that throws, or a recipient too far behind to take
 * `size` more bytes (a `SlowReaderError`), does not stop the others: the failures
 * are returned for the caller to drop. Recipients that are closing are skipped.
 */
export function fanOut<R extends Recipient>(
  recipients: Iterable<R>,
  sender: R | null,
  message: string | ArrayBuffer,
  size: number,
  includeSender: boolean,
): SendFailure<R>[] {
  const failures: SendFailure<R>[] = [];
  for (const recipient of recipients) {
    if (recipient.readyState !== OPEN || (recipient === sender && !includeSender)) continue;
    if (!canQueue(recipient.bufferedAmount, size)) {
      failures.push({ recipient, error: new SlowReaderError(`${recipient.bufferedAmount} bytes unsent`) });
      continue;
    }
    try {
      recipient.send(message);
    } catch (error) {
      failures.push({ recipient, error });
    }
  }
  return failures;
}
