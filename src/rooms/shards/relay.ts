/**
 * A shard's links to every other shard of its room, following the room's shard
 * list: a message a member sends goes to each other shard once, through that
 * shard's link. A room of one shard has no links, so relaying costs it nothing.
 */
import { Link, type MissedStore } from "./link";
import type { ShardAddress, ShardList } from "./names";
import type { Payload, RelayTarget } from "./relay-messages";

export class Relay {
  private readonly links = new Map<number, Link>();
  private version = -1;

  constructor(
    private readonly self: ShardAddress,
    private readonly open: (index: number) => RelayTarget,
    private readonly store: MissedStore,
  ) {}

  /** Links to the shards of `list` but this one; an older list than the last one followed changes nothing. */
  follow(list: ShardList): void {
    if (list.version <= this.version) return;
    this.version = list.version;
    const others = new Set(list.shards.filter((index) => index !== this.self.index));
    for (const [index, link] of this.links) {
      if (others.has(index)) continue;
      link.forget();
      this.links.delete(index);
    }
    for (const index of others) {
      if (!this.links.has(index)) this.links.set(index, new Link(this.self, index, () => this.open(index), this.store));
    }
  }

  /**
   * Hands a message to every other shard's link; resolves once each has delivered it
   * or given up on it (a loss the link logs and reports), or at once with none.
   */
  send(data: Payload, sender: string | undefined): Promise<void> | undefined {
    if (this.links.size === 0) return undefined;
    const sent: Promise<void>[] = [];
    for (const link of this.links.values()) sent.push(link.send(data, sender));
    return sent.length === 1 ? sent[0] : Promise.all(sent).then(() => {});
  }
}
