/**
 * The timers of one echo connection (delayed echoes, pushes, a timed close), owned
 * together so that ending the connection ends them all: no timer outlives its
 * socket, and nothing runs after the close.
 */

/** Timers armed and not yet fired or cleared, across every connection of this isolate. */
let armed = 0;

/** How many connection timers are pending in this isolate: 0 once every socket has ended. */
export function pendingTimers(): number {
  return armed;
}

/** What delayed echoes and pushes need of a clock: unit tests give them a manual one. */
export interface Scheduler {
  after(ms: number, task: () => void): void;
}

export class Timers implements Scheduler {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;

  /** Runs `task` after `ms`, unless `stop()` comes first; does nothing once stopped. */
  after(ms: number, task: () => void): void {
    if (this.stopped) return;
    const id = setTimeout(() => {
      this.pending.delete(id);
      armed--;
      task();
    }, ms);
    this.pending.add(id);
    armed++;
  }

  /** Clears every pending timer and refuses new ones: the connection is over. */
  stop(): void {
    this.stopped = true;
    for (const id of this.pending) clearTimeout(id);
    armed -= this.pending.size;
    this.pending.clear();
  }
}
