/**
 * The members one room object holds: their sockets (kept by the runtime through
 * hibernation), sending to them, closing them, and their rate limits.
 */
import { type LogFields, logError, logEvent } from "../log";
import { SLOW_READER_REASON, SlowReaderError } from "../protocol/backpressure";
import { CLOSE_INTERNAL_ERROR, CLOSE_POLICY_VIOLATION } from "../protocol/close-codes";
import { TokenBucket } from "../protocol/rate-limit";
import { fanOut } from "./fan-out";
import type { Payload } from "./link";
import { type Member, parseMember } from "./member";

export class Members {
  /**
   * Token buckets by member id, in memory only: hibernation drops them and each
   * member starts a fresh burst after a wake. Acceptable, since an object hibernates
   * only after sitting idle, and a member sending fast keeps it awake; persisting
   * them would cost a storage write per message.
   */
  private readonly buckets = new Map<string, TokenBucket>();

  /**
   * @param where the room and shard, for logs
   * @param onClosed called after the object closes a member itself, so its count can be reported
   */
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly where: () => LogFields,
    private readonly onClosed: () => void,
  ) {}

  /** Member sockets still open (closing ones no longer count). */
  count(): number {
    let open = 0;
    for (const socket of this.ctx.getWebSockets()) if (socket.readyState === WebSocket.OPEN) open++;
    return open;
  }

  /** Sends to every member (`sender` too only with `includeSender`); drops those that cannot take it. */
  deliver(sender: WebSocket | null, message: Payload, size: number, includeSender: boolean): void {
    for (const { recipient, error } of fanOut(this.ctx.getWebSockets(), sender, message, size, includeSender)) {
      // A member that cannot take a message is dropped rather than allowed to stall the room.
      const id = idOf(recipient);
      if (error instanceof SlowReaderError) {
        logEvent("room_member_dropped", { ...this.where(), socket: id, reason: error.message });
        this.close(recipient, CLOSE_POLICY_VIOLATION, SLOW_READER_REASON);
      } else {
        logError("room_send_failed", error, { ...this.where(), socket: id });
        this.close(recipient, CLOSE_INTERNAL_ERROR, "send failed");
      }
    }
  }

  /** Closes every open member with `code` and `reason`; returns how many. */
  closeAll(code: number, reason: string): number {
    const open = this.ctx.getWebSockets().filter((socket) => socket.readyState === WebSocket.OPEN);
    for (const socket of open) this.closeQuietly(socket, code, reason);
    if (open.length > 0) this.onClosed();
    return open.length;
  }

  /** The socket's attachment; a socket without a valid one is closed, as the room cannot serve it. */
  memberOf(socket: WebSocket): Member | null {
    const member = parseMember(socket.deserializeAttachment());
    if (member === null) {
      logError("room_member_invalid", new TypeError("socket attachment is not a Member"), this.where());
      this.close(socket, CLOSE_INTERNAL_ERROR, "internal error");
    }
    return member;
  }

  /** Spends one of the member's tokens; false when it is over its rate. */
  withinRate(member: Member): boolean {
    if (member.maxMessagesPerSecond === 0) return true;
    const now = Date.now();
    let bucket = this.buckets.get(member.id);
    if (bucket === undefined) {
      bucket = new TokenBucket(member.maxMessagesPerSecond, now);
      this.buckets.set(member.id, bucket);
    }
    return bucket.take(now);
  }

  /** The member left: its bucket goes. */
  forget(socket: WebSocket): Member | null {
    const member = parseMember(socket.deserializeAttachment());
    if (member !== null) this.buckets.delete(member.id);
    return member;
  }

  /** Closes a member the object gives up on. */
  close(socket: WebSocket, code: number, reason: string): void {
    this.closeQuietly(socket, code, reason);
    this.onClosed();
  }

  /** Closes a socket; when that fails because the peer is already gone, there is nothing left to tell. */
  closeQuietly(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch (error) {
      if (socket.readyState === WebSocket.OPEN)
        logError("room_close_failed", error, { ...this.where(), socket: idOf(socket), code });
    }
  }
}

function idOf(socket: WebSocket): string | undefined {
  return parseMember(socket.deserializeAttachment())?.id;
}
