import { afterEach, describe, expect, it, vi } from "vitest";
import { Link, MAX_BATCH_BYTES, MAX_QUEUED_BYTES } from "../../../../src/rooms/shards/link";
import type { LargeRelay, RelayBatch, RelayTarget } from "../../../../src/rooms/shards/relay-messages";

const FROM = { room: "lobby", index: 0 };

/** A shard at the other end whose calls the test answers one by one. */
class FakeShard implements RelayTarget {
  readonly batches: RelayBatch[] = [];
  private readonly answers: { resolve: () => void; reject: (error: Error) => void }[] = [];

  relay(batch: RelayBatch): Promise<unknown> {
    this.batches.push(batch);
    return new Promise((resolve, reject) => this.answers.push({ resolve: () => resolve(undefined), reject }));
  }

  /** Read back into the batch it would have been, so tests see one sequence of calls. */
  async relayLarge({ from, incarnation, missed, text, body }: LargeRelay): Promise<unknown> {
    const bytes = await new Response(body).arrayBuffer();
    return this.relay({ from, incarnation, missed, messages: [text ? new TextDecoder().decode(bytes) : bytes] });
  }

  /** Calls still waiting for an answer. */
  get waiting(): number {
    return this.answers.length;
  }

  async answer(error?: Error): Promise<void> {
    const next = this.answers.shift();
    if (next === undefined) throw new Error("no call to answer");
    if (error === undefined) next.resolve();
    else next.reject(error);
    // Lets the link see the answer and make its next call.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

class MapStore {
  readonly map = new Map<string, number>();
  get(key: string): unknown {
    return this.map.get(key);
  }
  put(key: string, value: number): void {
    this.map.set(key, value);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
}

/** The other shard is shard 2, which joined the room at list version 7. */
const TO = { index: 2, added: 7 };
const KEY = "missed:2@7";

function link(target: FakeShard, store = new MapStore(), opened = { count: 0 }, gaveUp = () => {}) {
  return new Link(
    FROM,
    TO,
    () => {
      opened.count++;
      return target;
    },
    store,
    gaveUp,
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a link to another shard", () => {
  it("makes one call at a time and sends what queued meanwhile in the next, in order", async () => {
    const target = new FakeShard();
    const line = link(target);
    const first = line.send("a", "m1");
    line.send("b", "m1");
    line.send(new Uint8Array([1]).buffer, "m2");
    expect(target.waiting).toBe(1);
    await target.answer();
    await first;
    expect(target.batches.map((batch) => batch.messages.length)).toEqual([1, 2]);
    await target.answer();
    expect(target.batches.flatMap((batch) => batch.messages)).toEqual(["a", "b", new Uint8Array([1]).buffer]);
    expect(target.batches.every((batch) => batch.from === 0 && batch.missed === 0)).toBe(true);
    expect(target.waiting).toBe(0);
  });

  it("splits what queued into calls of at most MAX_BATCH_BYTES, a larger message alone", async () => {
    const target = new FakeShard();
    const line = link(target);
    line.send("first", undefined);
    const half = "x".repeat(MAX_BATCH_BYTES / 2);
    line.send(half, undefined);
    line.send(half, undefined);
    line.send(half, undefined);
    line.send("y".repeat(MAX_BATCH_BYTES + 1), undefined);
    for (let call = 0; call < 4; call++) await target.answer();
    expect(target.batches.map((batch) => batch.messages.length)).toEqual([1, 2, 1, 1]);
  });

  it("after a failed call, tells the other shard how many messages it missed, with a fresh stub", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const target = new FakeShard();
    const opened = { count: 0 };
    const store = new MapStore();
    const line = link(target, store, opened);
    line.send("lost", "m1");
    await target.answer(new Error("unreachable"));
    expect(opened.count).toBe(2);
    // Counted in memory while the link is still trying: stored only if it gives up.
    expect(line.owes).toBe(true);
    // The notice goes at once, with nothing else to carry.
    expect(target.batches[1]).toEqual({ from: 0, incarnation: 7, missed: 1, messages: [] });
    await target.answer();
    expect(store.map.has(KEY)).toBe(false);
    line.send("next", "m1");
    expect(target.batches[2]).toEqual({ from: 0, incarnation: 7, missed: 0, messages: ["next"] });
    await target.answer();
  });

  it("stops calling after two failures in a row, asks for a retry, and tells the other shard on it without more traffic", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const target = new FakeShard();
    const store = new MapStore();
    let retries = 0;
    const line = link(target, store, { count: 0 }, () => retries++);
    const sent = line.send("lost 1", "m1");
    line.send("lost 2", "m1");
    await target.answer(new Error("unreachable"));
    await target.answer(new Error("still unreachable"));
    await sent;
    expect(target.waiting).toBe(0);
    expect(retries).toBe(1);
    expect(store.map.get(KEY)).toBe(2);
    expect(line.owes).toBe(true);
    expect(errors).toHaveBeenCalledTimes(2);
    expect(JSON.parse(String(errors.mock.calls[0]?.[0]))).toMatchObject({
      event: "room_relay_failed",
      room: "lobby",
      shard: 0,
      to: 2,
      socket: "m1",
      lost: 1,
    });

    const retried = line.retry();
    expect(target.batches.at(-1)).toEqual({ from: 0, incarnation: 7, missed: 2, messages: [] });
    await target.answer();
    await retried;
    expect(line.owes).toBe(false);
    expect(store.map.has(KEY)).toBe(false);
  });

  it("once closed, calls no more: what it held is dropped and nothing is owed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const target = new FakeShard();
    const store = new MapStore();
    const line = link(target, store);
    line.send("in flight", undefined);
    line.send("queued", undefined);
    line.close();
    await target.answer();
    expect(target.batches.flatMap((batch) => batch.messages)).toEqual(["in flight"]);
    expect(line.send("after", undefined)).toBeUndefined();
    expect(line.owes).toBe(false);
    expect(store.map.size).toBe(0);
  });

  it("keeps its count of missed messages in storage, so a link made after a wake still tells", async () => {
    const store = new MapStore();
    store.put(KEY, 5);
    const target = new FakeShard();
    link(target, store).send("after a wake", undefined);
    expect(target.batches[0]).toEqual({ from: 0, incarnation: 7, missed: 5, messages: ["after a wake"] });
    await target.answer();
    expect(store.map.has(KEY)).toBe(false);
  });

  it("drops messages past MAX_QUEUED_BYTES for a shard that does not answer, counts them as missed, and leaves nothing waiting", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const target = new FakeShard();
    const store = new MapStore();
    const line = link(target, store);
    line.send("in flight", undefined);
    const big = "z".repeat(MAX_QUEUED_BYTES / 2);
    line.send(big, undefined);
    line.send(big, undefined);
    // Dropped at once: no promise to hold, and no storage write per dropped message.
    expect(line.send("one too many", undefined)).toBeUndefined();
    expect(line.send("two too many", undefined)).toBeUndefined();
    expect(store.map.size).toBe(0);
    await target.answer();
    expect(target.batches[1]?.missed).toBe(2);
    for (let call = 1; call < target.batches.length + 1 && target.waiting > 0; call++) await target.answer();
    expect(target.batches.flatMap((batch) => batch.messages)).toEqual(["in flight", big, big]);
  });
});
