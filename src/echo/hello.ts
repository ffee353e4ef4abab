/**
 * `hello=1`: the first message on the socket describes the connection as the edge saw
 * it, so a client can check what its proxy sent and which controls are in force.
 */
import { describeRequest, type RequestInfo } from "../http/info";
import type { Controls } from "./controls";

/** The controls in force, by their parameter names, defaults filled in. */
export type ControlsInForce = Partial<Record<string, number | string>>;

export interface Hello extends RequestInfo {
  hello: true;
  /** The `Sec-WebSocket-Protocol` answered, or null for none. */
  protocol: string | null;
  controls: ControlsInForce;
  /** Query parameters that are not controls and were ignored: a typo shows here. */
  ignored: readonly string[];
}

/**
 * The hello message's JSON text. Its `url` is the socket's: `ws://` or `wss://`, as the
 * client connected (the request reaches the Worker as `http:`/`https:`).
 */
export function helloMessage(request: Request, protocol: string | null, controls: Controls): string {
  const seen = describeRequest(request);
  const hello: Hello = {
    hello: true,
    ...seen,
    url: seen.url.replace(/^http(s?):/, "ws$1:"),
    protocol,
    controls: controlsInForce(controls),
    ignored: controls.ignored,
  };
  return JSON.stringify(hello);
}

/** Only what changes the echo: a zero delay or an absent close is left out. */
export function controlsInForce(controls: Controls): ControlsInForce {
  const shown: ControlsInForce = {};
  if (controls.delayMs > 0) shown.delay = controls.delayMs;
  if (controls.jitterMs > 0) shown.jitter = controls.jitterMs;
  const { close, push, protocol } = controls;
  if (close !== null) {
    shown.close = close.code;
    if (close.reason !== "") shown.reason = close.reason;
    if (close.afterEchoes !== null) shown.after = close.afterEchoes;
    if (close.afterMs !== null) shown.after_ms = close.afterMs;
  }
  if (controls.dropAt !== null) shown.drop = controls.dropAt;
  if (protocol !== null) shown.protocol = protocol.answer ?? "none";
  if (push !== null) {
    shown.push = push.count;
    shown.interval = push.intervalMs;
    shown.push_type = push.type;
    shown.push_size = push.size;
  }
  if (controls.hello) shown.hello = 1;
  return shown;
}
