/**
 * The echo's answer to an upgrade that passed the HTTP checks: the test controls that
 * act before any socket exists (a 400 for a bad one, `status`, `protocol`), then the session.
 */
import type { Config } from "../config";
import { protocolHeader } from "../http/refused-socket";
import { textResponse } from "../http/responses";
import type { Controls, StatusControl } from "./controls";
import { helloMessage } from "./hello";
import { parseControls } from "./parse-controls";
import { EchoSession } from "./session";

/** A 400 naming a bad control, the refusal `status` asked for, or the 101 of a new echo session. */
export function echoUpgrade(request: Request, url: URL, config: Config, chosenProtocol: string | null): Response {
  const parsed = parseControls(url.searchParams, config.controls);
  if (!parsed.ok) return textResponse(400, parsed.reason);
  const { controls } = parsed;
  if (controls.status !== null) return refusedAsAsked(controls.status);
  const protocol = answeredProtocol(chosenProtocol, controls);
  const hello = controls.hello ? helloMessage(request, protocol, controls) : null;
  return acceptEcho(url.pathname, config, protocol, controls, hello);
}

/**
 * Accepts the upgrade: returns the 101 response carrying the client end of a new echo
 * socket, `hello` (if any) its first message.
 */
export function acceptEcho(
  path: string,
  config: Config,
  protocol: string | null,
  controls: Controls,
  hello: string | null,
): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  new EchoSession(server, path, config, controls).open(hello);
  return new Response(null, { status: 101, webSocket: client, headers: protocolHeader(protocol) });
}

/** `status=CODE`: that status, a one-line body, `Retry-After` when asked, and no socket. */
export function refusedAsAsked({ status, retryAfterSeconds }: StatusControl): Response {
  const headers: Record<string, string> =
    retryAfterSeconds === null ? {} : { "Retry-After": String(retryAfterSeconds) };
  return textResponse(status, `handshake refused with ${status} as asked (status=${status})`, headers);
}

/** The subprotocol to answer: `protocol=` overrides the usual choice, even with one the client never offered. */
export function answeredProtocol(chosen: string | null, controls: Controls): string | null {
  return controls.protocol === null ? chosen : controls.protocol.answer;
}
