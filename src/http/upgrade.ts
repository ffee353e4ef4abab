/**
 * The checks a WebSocket upgrade request must pass before any socket exists
 * (RFC 6455 §4.2.1), each failure a status with a one-line reason.
 */
import type { Config } from "../config";
import { textResponse } from "./responses";

/** Upgrade requests with more header bytes than this are refused with 431: no real client needs more. */
export const MAX_UPGRADE_HEADER_BYTES = 16 * 1024;
/** The only protocol version RFC 6455 defines. */
export const WEBSOCKET_VERSION = "13";

/** A base64-encoded 16-byte nonce, as the RFC requires of `Sec-WebSocket-Key`. */
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

export type UpgradeCheck = { ok: true; protocol: string | null } | { ok: false; response: Response };

/** True when the request asks to become a WebSocket. */
export function isUpgrade(request: Request): boolean {
  return (request.headers.get("Upgrade") ?? "")
    .toLowerCase()
    .split(",")
    .some((token) => token.trim() === "websocket");
}

/** Validates a request that asked to upgrade; picks the subprotocol to answer with. */
export function checkUpgrade(request: Request, config: Config): UpgradeCheck {
  if (request.method !== "GET") {
    return refuse(405, `a WebSocket upgrade must use GET, not ${request.method}`, { Allow: "GET" });
  }
  if (headerBytes(request.headers) > MAX_UPGRADE_HEADER_BYTES) {
    return refuse(431, `upgrade request headers exceed ${MAX_UPGRADE_HEADER_BYTES} bytes`);
  }
  const version = request.headers.get("Sec-WebSocket-Version");
  if (version?.trim() !== WEBSOCKET_VERSION) {
    const found = version === null ? "no Sec-WebSocket-Version" : `Sec-WebSocket-Version ${JSON.stringify(version)}`;
    return refuse(426, `${found}; this server speaks ${WEBSOCKET_VERSION}`, {
      "Sec-WebSocket-Version": WEBSOCKET_VERSION,
    });
  }
  const key = request.headers.get("Sec-WebSocket-Key");
  if (key === null || !KEY_PATTERN.test(key.trim())) {
    return refuse(400, "Sec-WebSocket-Key must be a base64-encoded 16-byte value");
  }
  const origin = request.headers.get("Origin");
  if (origin !== null && !originAllowed(origin, request.url, config.allowedOrigins)) {
    return refuse(403, `origin ${origin} is not allowed to connect`);
  }
  return { ok: true, protocol: chooseSubprotocol(request.headers.get("Sec-WebSocket-Protocol"), config.subprotocols) };
}

/**
 * True when a browser page at `origin` may connect: any origin under `"*"`, a listed
 * one, and always the service's own, so its page keeps working under any policy.
 */
export function originAllowed(origin: string, requestUrl: string, allowed: "*" | ReadonlySet<string>): boolean {
  return allowed === "*" || allowed.has(origin) || origin === new URL(requestUrl).origin;
}

/** The first subprotocol the client offered that the server speaks, or null: never one it did not list. */
export function chooseSubprotocol(offered: string | null, supported: ReadonlySet<string>): string | null {
  if (offered === null || supported.size === 0) return null;
  for (const token of offered.split(",")) {
    const protocol = token.trim();
    if (supported.has(protocol)) return protocol;
  }
  return null;
}

/** A refusal: plain-text reason on one line, so curl and browsers' devtools both show it. */
function refuse(status: number, reason: string, headers: Record<string, string> = {}): UpgradeCheck {
  return { ok: false, response: textResponse(status, reason, headers) };
}

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}
