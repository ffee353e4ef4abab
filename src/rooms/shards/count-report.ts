/**
 * A shard's member count, kept current at the directory. One report is out at a
 * time and the next carries the count as it is when it leaves, so a burst of
 * leaves costs two calls, not one per leave, and the directory never sees an
 * older count after a newer one.
 */
export class CountReporter {
  private last: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  /**
   * @param send delivers a count to the directory; its failures are the caller's to log
   * @param count the shard's members right now, joins being admitted included
   */
  constructor(
    private readonly send: (count: number) => Promise<void>,
    private readonly count: () => number,
  ) {}

  /** The count changed: resolves once the directory has a count taken after this call. */
  changed(): Promise<void> {
    if (this.queued !== null) return this.queued;
    const run = this.last.then(() => {
      this.queued = null;
      return this.send(this.count()).catch(() => {});
    });
    this.queued = run;
    this.last = run;
    return run;
  }
}
