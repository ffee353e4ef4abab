// @ts-check
/**
 * What a close invites a client to do next, read from its code. The page and the rooms client
 * share it, so both come back after the same closes: a server going away or restarting (1001,
 * 1012), a dropped connection (1006), a server error (1011), "try again later" (1013, after a
 * longer wait); a fresh token after 4401. Every other close (1000, a protocol or policy close, an
 * application's 4xxx) means that trying again would meet the same answer: stop and say why.
 */

/** @typedef {"retry" | "retry-later" | "new-token" | "stop"} CloseAdvice */

/** Closes after which the same request can succeed on a later try. */
const RETRY = new Set([1001, 1006, 1011, 1012]);
/** 1013 Try Again Later: the server is full or busy, so wait longer than after a drop. */
const TRY_AGAIN_LATER = 1013;
/** The room's token is missing, invalid or expired: a new one may be admitted. */
const TOKEN_REFUSED = 4401;

/**
 * @param {number} code the close event's code
 * @param {boolean} byUser whether this side asked for the close
 * @returns {CloseAdvice}
 */
export function closeAdvice(code, byUser) {
  if (byUser) return "stop";
  if (RETRY.has(code)) return "retry";
  if (code === TRY_AGAIN_LATER) return "retry-later";
  if (code === TOKEN_REFUSED) return "new-token";
  return "stop";
}

/** Why a RoomClient stopped, in words, by what stopped it. */
export const STOP_WHY = {
  stop: "the server's answer would be the same",
  "new-token": "the room refused the token and there is no getToken to ask for another",
  retries: "gave up after maxRetries attempts",
  user: "closed by the user",
};

/**
 * @typedef {{ stop: string } | { stop: null, later: boolean, newToken: boolean }} NextStep
 *   stop and why, or come back (after the longer delay, with a fresh token)
 */

/**
 * What a RoomClient does after a close it did not ask for.
 * @param {number} code the close event's code
 * @param {{ canRenewToken: boolean, attempt: number, maxRetries: number }} client whether it has
 *   a `getToken`, its failed attempts in a row and how many it may make
 * @returns {NextStep}
 */
export function nextStep(code, { canRenewToken, attempt, maxRetries }) {
  const advice = closeAdvice(code, false);
  if (advice === "stop" || (advice === "new-token" && !canRenewToken)) return { stop: STOP_WHY[advice] };
  if (attempt >= maxRetries) return { stop: STOP_WHY.retries };
  return { stop: null, later: advice === "retry-later", newToken: advice === "new-token" };
}
