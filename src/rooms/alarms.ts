/**
 * A Durable Object has one alarm; a room object's parts (links retrying a notice, the
 * directory retrying an announcement, a shard retrying its count report,
 * tokens expiring, history and counts being swept) each need their own deadline.
 * Each part names its deadline here; the object's alarm is kept at the earliest.
 * Deadlines live in storage, so they outlive eviction and restarts, and an idle
 * room costs nothing but the wakes its parts asked for.
 */
import { isIntegerIn, isRecord } from "./validate";

/** The parts of a room object that may ask for a wake. */
export type AlarmKind = "links" | "announce" | "count" | "tokens" | "sweep" | "retired" | "presence";

const ALARM_KINDS: readonly AlarmKind[] = ["links", "announce", "count", "tokens", "sweep", "retired", "presence"];

/** The storage key of the deadlines, one record for all kinds. */
export const ALARMS_KEY = "alarms";

/** The part of `ctx.storage` the alarms use. */
export interface AlarmStorage {
  readonly kv: { get(key: string): unknown; put(key: string, value: unknown): void; delete(key: string): boolean };
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

type Deadlines = Partial<Record<AlarmKind, number>>;

/** What a part does when its deadline comes; it schedules again if it still needs waking. */
export type AlarmHandler = () => Promise<void> | void;

export class Alarms {
  private readonly handlers = new Map<AlarmKind, AlarmHandler>();

  constructor(private readonly storage: AlarmStorage) {}

  /** Registers the part that handles `kind`'s deadline. */
  on(kind: AlarmKind, handler: AlarmHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * The object's `alarm()`: runs the handler of every kind now due, in turn. A handler
   * that throws is reported to `failed` and does not stop the others.
   */
  async run(now: number, failed: (kind: AlarmKind, error: unknown) => void): Promise<void> {
    for (const kind of await this.due(now)) {
      try {
        await this.handlers.get(kind)?.();
      } catch (error) {
        failed(kind, error);
      }
    }
  }

  /** Asks for a wake for `kind` at `at` (ms since the epoch), or sooner if one is already asked for sooner. */
  async schedule(kind: AlarmKind, at: number): Promise<void> {
    const deadlines = this.read();
    const current = deadlines[kind];
    if (current !== undefined && current <= at) return;
    deadlines[kind] = at;
    await this.write(deadlines);
  }

  /** No wake is needed for `kind` any more. */
  async cancel(kind: AlarmKind): Promise<void> {
    const deadlines = this.read();
    if (deadlines[kind] === undefined) return;
    delete deadlines[kind];
    await this.write(deadlines);
  }

  /**
   * From the object's `alarm()` handler: the kinds whose deadline has come, forgotten,
   * with the alarm set to the next deadline. A kind that still needs waking schedules again.
   */
  async due(now: number): Promise<AlarmKind[]> {
    const deadlines = this.read();
    const due = ALARM_KINDS.filter((kind) => (deadlines[kind] ?? Number.POSITIVE_INFINITY) <= now);
    for (const kind of due) delete deadlines[kind];
    await this.write(deadlines);
    return due;
  }

  /** The deadline asked for `kind`, if any. */
  deadline(kind: AlarmKind): number | undefined {
    return this.read()[kind];
  }

  private read(): Deadlines {
    const stored = this.storage.kv.get(ALARMS_KEY);
    const deadlines: Deadlines = {};
    if (!isRecord(stored)) return deadlines;
    for (const kind of ALARM_KINDS) {
      const at = stored[kind];
      if (isIntegerIn(at, 0, Number.MAX_SAFE_INTEGER)) deadlines[kind] = at;
    }
    return deadlines;
  }

  private async write(deadlines: Deadlines): Promise<void> {
    const next = Math.min(...ALARM_KINDS.map((kind) => deadlines[kind] ?? Number.POSITIVE_INFINITY));
    if (next === Number.POSITIVE_INFINITY) {
      this.storage.kv.delete(ALARMS_KEY);
      await this.storage.deleteAlarm();
    } else {
      this.storage.kv.put(ALARMS_KEY, deadlines);
      await this.storage.setAlarm(next);
    }
  }
}

/** The first retry of a part that failed waits this long; each next one twice as long, up to the cap. */
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 60_000;

/**
 * A part that retries through the alarm, with backoff: 1 s, 2 s, 4 s … up to a minute.
 * The attempt count lives in memory: after a wake the backoff starts afresh, which
 * costs at most a few early retries.
 */
export class AlarmRetry {
  private attempt = 0;

  constructor(
    private readonly alarms: Alarms,
    private readonly kind: AlarmKind,
  ) {}

  /** Asks for the next try after the backoff's next delay. */
  later(now = Date.now()): Promise<void> {
    const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return this.alarms.schedule(this.kind, now + delay);
  }

  /** It worked: the next failure starts the backoff afresh. */
  succeeded(): void {
    this.attempt = 0;
  }
}
