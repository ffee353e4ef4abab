/**
 * Raw sockets for a test file, cleaned up after each test. Apart from raw-upgrade.ts
 * because it registers a Vitest hook, and the load script imports raw-upgrade.ts too.
 */
import { afterEach } from "vitest";
import type { RawWebSocket } from "./raw-socket.ts";
import { openRaw } from "./raw-upgrade.ts";

/**
 * `connect(path)` for a test file: opens a raw socket on `path` (default `/ws`) of `wsUrl` and
 * destroys every socket it opened after each test, whatever the test left open.
 */
export function rawConnector(wsUrl: string): (path?: string) => Promise<RawWebSocket> {
  const sockets: RawWebSocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  return async (path = "/ws") => {
    // The path goes in the request line: openRaw takes only the host and port from the URL.
    const socket = await openRaw(wsUrl, { path });
    sockets.push(socket);
    return socket;
  };
}
