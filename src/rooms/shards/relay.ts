/**
 * A shard's links to every other shard of its room, following the room's shard
 * list: a message a member sends goes to each other shard once, through that
 * shard's link. A room of one shard has no links, so relaying costs it nothing.
 * There is one link per incarnation of each other shard: a shard that left and came
 * back gets a new link, and the old one, with whatever it still held, is closed.
 */

import type { Payload, RelayMeta } from "../message";
import { Link, type MissedStore } from "./link";
import type { ShardAddress, ShardList } from "./names";
import type { RelayTarget } from "./relay-messages";

export class Relay {
  private readonly links = new Map<number, Link>();
  private version = -1;

  /** @param gaveUp some link could not deliver: call `retry()` later */
  constructor(
    private readonly self: ShardAddress,
    private readonly open: (index: number) => RelayTarget,
    private readonly store: MissedStore,
    private readonly gaveUp: () => void,
  ) {}

  /** Links to the shards of `list` but this one; an older list than the last one followed changes nothing. */
  follow(list: ShardList): void {
    if (list.version <= this.version) return;
    this.version = list.version;
    const others = new Map<number, number>();
    list.shards.forEach((index, at) => {
      if (index !== this.self.index) others.set(index, list.added[at] ?? 0);
    });
    for (const [index, link] of this.links) {
      if (others.get(index) === link.to.added) continue;
      link.close();
      this.links.delete(index);
    }
    for (const [index, added] of others) {
      if (this.links.has(index)) continue;
      this.links.set(index, new Link(this.self, { index, added }, () => this.open(index), this.store, this.gaveUp));
    }
  }

  /**
   * Hands a message to every other shard's link; resolves once each has delivered it
   * or given up on it (a loss the link logs and reports), or at once with none.
   */
  send(data: Payload, sender: string | undefined, meta?: RelayMeta): Promise<void> | undefined {
    const sent: Promise<void>[] = [];
    for (const link of this.links.values()) {
      const delivered = link.send(data, sender, meta);
      if (delivered !== undefined) sent.push(delivered);
    }
    if (sent.length === 0) return undefined;
    return sent.length === 1 ? sent[0] : Promise.all(sent).then(() => {});
  }

  /** From the alarm: every link that owes a notice tries again; true when some still owes one. */
  async retry(): Promise<boolean> {
    await Promise.all([...this.links.values()].map((link) => link.retry()));
    return [...this.links.values()].some((link) => link.owes);
  }

  /** Some link still owes another shard a notice. */
  get owes(): boolean {
    return [...this.links.values()].some((link) => link.owes);
  }
}
