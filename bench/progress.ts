/** The live progress line: on a terminal only, redrawn in place a few times a second. */
import type { RunStats } from "./stats.ts";

const INTERVAL_MS = 250;

export class Progress {
  private readonly out: NodeJS.WriteStream;
  private timer: NodeJS.Timeout | null = null;

  constructor(out: NodeJS.WriteStream) {
    this.out = out;
  }

  /** Shows `label` and the live figures of `stats` until `stop()`. Does nothing off a terminal. */
  start(label: string, stats: RunStats): void {
    this.stop();
    if (!this.out.isTTY) return;
    const started = performance.now();
    let lastAt = started;
    let lastMessages = 0;
    this.timer = setInterval(() => {
      const now = performance.now();
      const rate = ((stats.messages - lastMessages) * 1000) / (now - lastAt);
      lastAt = now;
      lastMessages = stats.messages;
      const elapsed = ((now - started) / 1000).toFixed(1);
      const line = `${label}  ${elapsed} s  ${Math.round(rate).toLocaleString("en-US")} msgs/s  errors ${stats.errorCount}  sockets ${stats.sockets}`;
      this.out.write(`\r\x1b[K${line.slice(0, (this.out.columns ?? 120) - 1)}`);
    }, INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops and erases the line. */
  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.out.write("\r\x1b[K");
  }
}
