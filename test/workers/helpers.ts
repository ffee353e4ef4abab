/**
 * Helpers for tests that run inside workerd: open a socket through the Worker,
 * then wait for messages or the close, each with a timeout that names the likely cause.
 */
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index";

export const WAIT_MS = 10_000;

/** `vi.waitFor`'s options for work in other objects: the helpers' wait, not its default 1 s, which a loaded CI machine can exceed. */
export const EVENTUALLY = { timeout: WAIT_MS } as const;

/**
 * `[vars]` for tests that pipeline hundreds of messages on one socket at once: they are about
 * order, and such a burst is over the default MAX_MESSAGES_PER_SECOND (100), which closes it 1008.
 */
export const UNLIMITED_MESSAGES: Partial<Env> = { MAX_MESSAGES_PER_SECOND: "0" };

/** Headers a real client sends with an upgrade (RFC 6455 §4.1). */
export function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
}

/** Sends a request through the Worker as deployed (wrangler.toml's vars). */
export function fetchWorker(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://edge-echo.test${path}`, init));
}

/** Sends a request to the Worker's handler with some `[vars]` overridden. */
export function fetchWithVars(path: string, vars: Partial<Env>, init: RequestInit = {}): Promise<Response> {
  return fetchWithEnv(path, { ...env, ...vars }, init);
}

/** Sends a request to the Worker's handler with this exact `env` object (config is cached per env). */
export function fetchWithEnv(path: string, testEnv: Env, init: RequestInit = {}): Promise<Response> {
  // A request made in a test has no edge `cf` fields; the handler reads them as optional.
  const request = new Request(`http://edge-echo.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>;
  return Promise.resolve(worker.fetch(request, testEnv));
}

/** Opens an echo socket on `path` and returns the accepted client end. */
export async function connect(path = "/ws", vars?: Partial<Env>, headers?: Record<string, string>): Promise<WebSocket> {
  const init = { headers: upgradeHeaders(headers) };
  const response = vars === undefined ? await fetchWorker(path, init) : await fetchWithVars(path, vars, init);
  return accept(response);
}

/** The client end of a 101 response, accepted, binary as ArrayBuffer. */
export function accept(response: Response): WebSocket {
  if (response.status !== 101 || response.webSocket === null) {
    throw new Error(`expected 101 Switching Protocols with a socket, got ${response.status}`);
  }
  const socket = response.webSocket;
  socket.binaryType = "arraybuffer";
  socket.accept();
  return socket;
}

export type Received = string | ArrayBuffer;

/** Collects the next `count` messages, in arrival order. */
export function waitForMessages(socket: WebSocket, count: number): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const messages: Received[] = [];
    const timer = setTimeout(
      () => reject(new Error(`got ${messages.length} of ${count} messages in ${WAIT_MS} ms: echo lost or stalled`)),
      WAIT_MS,
    );
    const onMessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (typeof data !== "string" && !(data instanceof ArrayBuffer)) {
        reject(new Error(`message of unexpected type ${Object.prototype.toString.call(data)}`));
        return;
      }
      messages.push(data);
      if (messages.length === count) {
        clearTimeout(timer);
        socket.removeEventListener("message", onMessage);
        resolve(messages);
      }
    };
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", (event) => {
      clearTimeout(timer);
      reject(new Error(`socket closed (${event.code} ${event.reason}) after ${messages.length} of ${count} messages`));
    });
  });
}

/** The next message. */
export async function waitForMessage(socket: WebSocket): Promise<Received> {
  const [message] = await waitForMessages(socket, 1);
  if (message === undefined) throw new Error("no message");
  return message;
}

/** Resolves with the close event the server sends. */
export function waitForClose(socket: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close within ${WAIT_MS} ms: close not answered`)), WAIT_MS);
    socket.addEventListener("close", (event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

/** Bytes of a binary message, failing clearly when a text one arrived instead. */
export function bytesOf(message: Received | undefined): number[] {
  if (!(message instanceof ArrayBuffer)) throw new Error(`expected a binary message, got ${typeof message}`);
  return [...new Uint8Array(message)];
}

/** A deterministic pseudo-random payload, so a mismatch shows where. */
export function payload(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Ends a test's socket the polite way: close 1000, then wait for the server's answer. */
export async function finish(socket: WebSocket): Promise<void> {
  const closed = waitForClose(socket);
  socket.close(1000, "done");
  const event = await closed;
  if (event.code !== 1000) throw new Error(`server answered close 1000 with ${event.code} ${event.reason}`);
}
