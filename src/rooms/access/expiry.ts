/**
 * Members whose token expires while they are connected: they receive nothing sent
 * after their `exp`, and are closed `4401 token expired` at it. The object's alarm
 * wakes it at the earliest `exp` (so an idle room costs only that wake), and every
 * delivery first closes whoever is due, so a message sent a moment before the alarm
 * fires reaches nobody whose token has run out. The earliest `exp` is kept in memory
 * and found again from the sockets' attachments once after a wake.
 */
import type { Alarms } from "../alarms";
import { type Member, parseMember } from "../member";

/** The close reason (with 4401) for a member whose token ran out while it was connected. */
export const TOKEN_EXPIRED_REASON = "token expired";

export class TokenExpiry {
  /** The earliest `exp` among open members; null for none; undefined until read after a wake. */
  private next: number | null | undefined;

  /**
   * @param sockets the object's member sockets
   * @param expire closes one member whose token ran out
   */
  constructor(
    private readonly sockets: () => WebSocket[],
    private readonly alarms: Alarms,
    private readonly expire: (socket: WebSocket) => void,
  ) {
    alarms.on("tokens", () => this.closeDue(Date.now()));
  }

  /** A member joined with a token that expires at `expires`. */
  async joined(expires: number | null): Promise<void> {
    if (expires === null) return;
    if (this.next !== undefined) this.next = Math.min(this.next ?? Number.POSITIVE_INFINITY, expires);
    await this.alarms.schedule("tokens", expires);
  }

  /** Before a message goes out: one comparison, unless some member's token is due. */
  beforeDelivery(now: number): void {
    // Found once after a wake; null (no token expires) is an answer too, not a reason to look again.
    if (this.next === undefined) this.next = this.earliest();
    if (this.next !== null && now >= this.next) void this.closeDue(now);
  }

  /** True when `member` may no longer send or receive. */
  static expired(member: Member, now: number): boolean {
    return member.expires !== null && now >= member.expires;
  }

  /** Closes every member whose token is due, and asks for a wake at the next `exp`. */
  private async closeDue(now: number): Promise<void> {
    for (const socket of this.sockets()) {
      const member = parseMember(socket.deserializeAttachment());
      if (socket.readyState === WebSocket.OPEN && member !== null && TokenExpiry.expired(member, now))
        this.expire(socket);
    }
    this.next = this.earliest();
    if (this.next !== null) await this.alarms.schedule("tokens", this.next);
  }

  private earliest(): number | null {
    let earliest: number | null = null;
    for (const socket of this.sockets()) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      const expires = parseMember(socket.deserializeAttachment())?.expires ?? null;
      if (expires !== null && (earliest === null || expires < earliest)) earliest = expires;
    }
    return earliest;
  }
}
