/**
 * A loopback TCP proxy in front of `wrangler dev`, for tests that need a connection
 * to drop as a network would: `dropAll()` destroys every connection through it, so
 * clients see their sockets end without a close frame (1006), and can come back.
 */
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsUrl: string;
  /** Ends every connection through the proxy at once, both ways. */
  dropAll(): void;
  /** Holds everything the server sends (the connections stay up) until `release()`. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const pairs = new Set<[client: Socket, upstream: Socket]>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on("close", () => pairs.delete(pair));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  const httpUrl = `http://127.0.0.1:${address.port}`;
  return {
    httpUrl,
    wsUrl: httpUrl.replace("http:", "ws:"),
    dropAll: () => {
      for (const socket of open) socket.destroy();
    },
    hold: () => {
      for (const [client, upstream] of pairs) upstream.unpipe(client);
    },
    release: () => {
      for (const [client, upstream] of pairs) upstream.pipe(client);
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
