// @ts-check
/** The header's status line: the socket's state, and for a close the code, its name and the reason. */
import { byId } from "./dom.js";

/** @type {Record<number, string>} as RFC 6455 and IANA name them; 4000-4999 are the application's */
const CLOSE_NAMES = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no status code",
  1006: "abnormal closure",
  1007: "invalid payload",
  1008: "policy violation",
  1009: "message too big",
  1010: "missing extension",
  1011: "internal error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
  1015: "TLS failure",
};

const status = byId("status", HTMLElement);

/**
 * The socket's state (as `data-state`, which colours the dot) and a sentence saying it.
 * @param {"connecting" | "open" | "closing" | "closed"} state @param {string} text
 */
export function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

/** `1009 (message too big): the reason`. @param {number} code @param {string} reason */
export function describeClose(code, reason) {
  const name = CLOSE_NAMES[code] ?? (code >= 4000 ? "application" : "unknown");
  return `${code} (${name})${reason ? `: ${reason}` : ""}`;
}
