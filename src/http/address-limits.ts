/**
 * Per-address limits: how many WebSocket upgrades, publishes and history reads one
 * address may make in a period, counted by the platform's Rate Limiting bindings
 * (`[[ratelimits]]` in wrangler.toml, one per kind). A request over its limit gets a 429
 * before any Durable Object is touched. The limits protect the service; they are never
 * a reason for it to fail, so a missing binding or a failing `limit()` serves the request.
 */
import type { Config } from "../config";
import { logError, logEvent } from "../log";
import { addressKey, loggedPrefix } from "./client-address";
import { textResponse } from "./responses";

/** The binding that counts each kind of request, and its period as written in wrangler.toml (10 or 60 s). */
export const ADDRESS_LIMITS = {
  upgrade: { binding: "UPGRADE_LIMITER", periodSeconds: 10, counts: "WebSocket upgrades" },
  publish: { binding: "PUBLISH_LIMITER", periodSeconds: 10, counts: "POST /rooms/:name requests" },
  history: { binding: "HISTORY_LIMITER", periodSeconds: 10, counts: "GET /rooms/:name/history requests" },
} as const;

export type AddressLimit = keyof typeof ADDRESS_LIMITS;
type LimiterBinding = (typeof ADDRESS_LIMITS)[AddressLimit]["binding"];
/** The bindings as a deploy may have them: any of them may be missing from its config. */
export type Limiters = Partial<Record<LimiterBinding, RateLimit>>;

/** Bindings already reported as missing or failing, per `env` (one per isolate): logged once, not per request. */
const reported = new WeakMap<object, Set<string>>();

/**
 * Counts this request against `limit` for its address; resolves to the 429 to answer
 * when the address is over it, or to null to serve the request. With `IP_LIMITS=off`,
 * or a request without an address (`CF-Connecting-IP`), nothing is counted.
 */
export async function overAddressLimit(
  limit: AddressLimit,
  request: Request,
  env: Limiters,
  config: Config,
): Promise<Response | null> {
  if (!config.ipLimits) return null;
  const key = addressKey(request);
  if (key === null) return null;
  const { binding, periodSeconds, counts } = ADDRESS_LIMITS[limit];
  const limiter = env[binding];
  if (limiter === undefined) {
    reportOnce(env, binding, () => logEvent("ip_limit_unavailable", { limit, binding, serving: "unlimited" }));
    return null;
  }
  let allowed: boolean;
  try {
    allowed = (await limiter.limit({ key })).success;
  } catch (error) {
    reportOnce(env, binding, () => logError("ip_limit_failed", error, { limit, binding, serving: "unlimited" }));
    return null;
  }
  if (allowed) return null;
  logEvent("ip_limited", { limit, binding, prefix: loggedPrefix(key) });
  return textResponse(429, `too many ${counts} from your address; try again in ${periodSeconds} s (limit ${binding})`, {
    "Retry-After": String(periodSeconds),
  });
}

function reportOnce(env: object, binding: string, log: () => void): void {
  const done = reported.get(env) ?? new Set<string>();
  reported.set(env, done);
  if (done.has(binding)) return;
  done.add(binding);
  log();
}
