import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Alarms } from "../../../src/rooms/alarms";
import type { Room } from "../../../src/rooms/room";
import { freshRoom, roomShard } from "./helpers";

/** Runs `body` with the alarms of a fresh room object and its storage. */
function withAlarms<T>(body: (alarms: Alarms, storage: DurableObjectStorage) => Promise<T>): Promise<T> {
  return runInDurableObject(roomShard(freshRoom("alarms"), 0), async (_room: Room, state) => {
    const result = await body(new Alarms(state.storage), state.storage);
    await state.storage.deleteAlarm();
    return result;
  });
}

/** An hour from now plus `ms`: deadlines far enough ahead that no alarm fires during a test. */
const at = (ms: number) => HOUR_AHEAD + ms;
const HOUR_AHEAD = Date.now() + 3_600_000;

describe("the object's one alarm, shared by its parts", () => {
  it("is set to the earliest deadline any part asked for", async () => {
    const [first, second] = await withAlarms(async (alarms, storage) => {
      await alarms.schedule("tokens", at(5_000));
      await alarms.schedule("links", at(3_000));
      const first = await storage.getAlarm();
      await alarms.cancel("links");
      return [first, await storage.getAlarm()];
    });
    expect(first).toBe(at(3_000));
    expect(second).toBe(at(5_000));
  });

  it("keeps a part's sooner deadline when it asks again for a later one", async () => {
    const deadline = await withAlarms(async (alarms) => {
      await alarms.schedule("links", at(2_000));
      await alarms.schedule("links", at(9_000));
      return alarms.deadline("links");
    });
    expect(deadline).toBe(at(2_000));
  });

  it("hands the due parts to the alarm handler once, and moves the alarm to the next deadline", async () => {
    const result = await withAlarms(async (alarms, storage) => {
      await alarms.schedule("links", at(1_000));
      await alarms.schedule("sweep", at(1_500));
      await alarms.schedule("tokens", at(8_000));
      const due = await alarms.due(at(2_000));
      const again = await alarms.due(at(2_000));
      return { due, again, next: await storage.getAlarm() };
    });
    expect(result.due).toEqual(["links", "sweep"]);
    expect(result.again).toEqual([]);
    expect(result.next).toBe(at(8_000));
  });

  it("clears the alarm and its record when no part needs a wake", async () => {
    const result = await withAlarms(async (alarms, storage) => {
      await alarms.schedule("tokens", at(4_000));
      await alarms.due(at(4_000));
      return { alarm: await storage.getAlarm(), record: storage.kv.get("alarms") };
    });
    expect(result).toEqual({ alarm: null, record: undefined });
  });

  it("reads its deadlines back from storage in a new instance, as after a wake", async () => {
    const deadline = await withAlarms(async (alarms, storage) => {
      await alarms.schedule("sweep", at(7_000));
      return new Alarms(storage).deadline("sweep");
    });
    expect(deadline).toBe(at(7_000));
  });

  it("runs each due part's handler, and one that throws does not stop the others", async () => {
    const result = await withAlarms(async (alarms) => {
      const ran: string[] = [];
      const failures: string[] = [];
      alarms.on("links", () => {
        throw new Error("links broke");
      });
      alarms.on("tokens", () => {
        ran.push("tokens");
      });
      await alarms.schedule("links", at(1_000));
      await alarms.schedule("tokens", at(1_000));
      await alarms.run(at(1_000), (kind, error) => failures.push(`${kind}: ${String(error)}`));
      return { ran, failures };
    });
    expect(result).toEqual({ ran: ["tokens"], failures: ["links: Error: links broke"] });
  });
});
