/**
 * A clock and scheduler the test moves by hand, so delayed echoes and pushes are
 * checked for order and timing without waiting on real time.
 */
import type { Scheduler } from "../../../src/echo/timers";

export class ManualClock implements Scheduler {
  now = 0;
  private tasks: { at: number; task: () => void }[] = [];
  private lateBy = 0;

  after(ms: number, task: () => void): void {
    if (ms < 0) throw new Error(`a timer asked for ${ms} ms: due times went backwards`);
    this.tasks.push({ at: this.now + ms, task });
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.tasks.length;
  }

  /** Makes the next timer fire `ms` late, as a busy isolate may. */
  fireNextLate(ms: number): void {
    this.lateBy = ms;
  }

  /** Moves time to `to`, running each timer due by then in due order (ties in arming order). */
  advanceTo(to: number): void {
    while (true) {
      const due = this.tasks.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.tasks.splice(this.tasks.indexOf(due), 1);
      this.now = due.at + this.lateBy;
      this.lateBy = 0;
      due.task();
    }
    this.now = to;
  }
}
