/**
 * Refusing a WebSocket after the handshake rather than before it.
 */

/**
 * A 101 whose socket closes at once with `code` and `reason`. Browsers hide the
 * body of a failed upgrade from scripts (and Chrome's devtools), but they show
 * a close reason: so a full room or a setup failure is refused this way.
 */
export function refusedSocket(code: number, reason: string, protocol: string | null): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  // Accepted normally, not hibernatable: the runtime answers the client's close itself.
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: client, headers: protocolHeader(protocol) });
}

/** The `Sec-WebSocket-Protocol` header of a 101, when a subprotocol was chosen. */
export function protocolHeader(protocol: string | null): Record<string, string> {
  return protocol === null ? {} : { "Sec-WebSocket-Protocol": protocol };
}
