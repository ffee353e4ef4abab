/**
 * A shard's calls to its room's directory (shard 0), all through one stub, so they
 * arrive in the order they were made (E-order): a report never overtakes an earlier one.
 */
import type { RoomStub } from "./names";

export class DirectoryLine {
  private stub: RoomStub | null = null;

  constructor(private readonly directory: () => RoomStub) {}

  /** Calls the directory; its answer is left to the caller to validate. */
  async call(call: (directory: RoomStub) => Promise<unknown>): Promise<unknown> {
    this.stub ??= this.directory();
    try {
      return await call(this.stub);
    } catch (error) {
      // A stub that threw stays broken: the next call gets a fresh one.
      this.stub = null;
      throw error;
    }
  }
}
