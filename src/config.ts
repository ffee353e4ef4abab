/**
 * Service configuration: the `[vars]` in wrangler.toml, parsed once per `env`
 * into a typed, validated `Config`. A bad value throws `ConfigError` naming the
 * variable, so a misconfigured deploy fails loudly on its first request.
 */

/** The platform's cap on one WebSocket message: 32 MiB. */
export const PLATFORM_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** The platform's cap on WebSockets attached to one Durable Object: the most members one shard of a room can hold. */
export const PLATFORM_MAX_SHARD_CONNECTIONS = 32_768;
/**
 * Default members per Durable Object: well below the platform cap, so one object's
 * 128 MB and single thread are not spent on sockets alone and a message still
 * reaches every local member within a few milliseconds.
 */
export const DEFAULT_ROOM_SHARD_CONNECTIONS = 5_000;
/** Default room size: 20 objects of the default size. */
export const DEFAULT_ROOM_MAX_CONNECTIONS = 100_000;
/**
 * The largest room the config accepts: a bound so a typo cannot ask for an unbounded
 * room; at the default shard size it is 200 objects, each relaying to every other.
 */
export const MAX_ROOM_CONNECTIONS = 1_000_000;
/** Default history window of each room object: its last 1,000 messages… */
export const DEFAULT_HISTORY_MESSAGES = 1_000;
/** …of the last five minutes. */
export const DEFAULT_HISTORY_SECONDS = 300;
/** Bounds on the window: a typo cannot make every object keep a day of a busy room. */
export const MAX_HISTORY_MESSAGES = 100_000;
export const MAX_HISTORY_SECONDS = 86_400;

/** Default connections per token `sub` in one room: a person's tabs and devices, not a room's worth. */
export const DEFAULT_ROOM_MAX_PER_USER = 10;
/** Default connections per client address in one room: a household or an office behind one NAT, not a script filling a room. */
export const DEFAULT_ROOM_MAX_PER_ADDRESS = 100;
/**
 * Default messages per second one connection may send: no person typing or app syncing state
 * comes near it, but a loop that floods a room (each message a billed history write) stops.
 */
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 100;

/** Default users `GET /rooms/:name/presence` and presence frames list; past it they say `truncated` (docs/presence.md). */
export const DEFAULT_ROOM_PRESENCE_MAX = 1_000;
/** The most `ROOM_PRESENCE_MAX` may be: one snapshot stays a frame of a few MiB at most. */
export const MAX_ROOM_PRESENCE = 10_000;

/** HS256 needs a key at least as long as its hash (RFC 7518 §3.2): 32 bytes. */
export const MIN_TOKEN_SECRET_BYTES = 32;

/** Who may join, read and publish to a room: anyone (`open`), or holders of a signed token (`token`). */
export type RoomAuth =
  | { readonly mode: "open" }
  | {
      readonly mode: "token";
      readonly secret: Uint8Array;
      /** `ROOM_TOKEN_QUERY=on`: a token may come as `?token=`, which the platform's logs record. */
      readonly query: boolean;
    };

/** How a number must be written in a variable or a parameter: no `1e3`, `0x10`, `+5`, `5.0` or spaces. */
export const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

export interface Config {
  /** Prepended to every echo (text: as text; binary: as UTF-8 bytes). Empty: pure echo. */
  readonly echoPrefix: string;
  /** Largest message accepted; larger ones close the socket with 1009. */
  readonly maxMessageBytes: number;
  /** Most sockets in one room, over all its objects; the next one is closed with 1013. */
  readonly roomMaxConnections: number;
  /** Most sockets one Durable Object of a room holds; past it the room spreads to another object. */
  readonly roomShardConnections: number;
  /** Most sockets per token `sub` in one room, over all its objects (private rooms); the next is closed 1008. 0: no cap. */
  readonly roomMaxPerUser: number;
  /** Most sockets per client address (IPv6 by its /64) in one room, over all its objects; the next is closed 1008. 0: no cap. */
  readonly roomMaxPerAddress: number;
  /** Users presence lists at most (`GET /rooms/:name/presence`, `?presence=1`); 0: presence off. */
  readonly roomPresenceMax: number;
  /** Browser origins allowed to upgrade; `"*"` allows all. Requests without `Origin` are always allowed. */
  readonly allowedOrigins: "*" | ReadonlySet<string>;
  /** Subprotocols the server speaks, in no particular order; the client's first listed match wins. */
  readonly subprotocols: ReadonlySet<string>;
  /** Messages per second one connection may send (token bucket, burst of one second); 0 = unlimited. */
  readonly maxMessagesPerSecond: number;
  /** Whether echo upgrades honour the test controls (`?delay=`, `?close=`, …); off, any control gets 400. */
  readonly controls: boolean;
  /** `ROOM_AUTH`, with the key from the `ROOM_TOKEN_SECRET` secret when it is `token`. */
  readonly roomAuth: RoomAuth;
  /** Whether the per-address limits (the `[[ratelimits]]` bindings) refuse requests over them with 429. */
  readonly ipLimits: boolean;
  /** Messages each room object keeps for resuming members; 0 turns history off. */
  readonly historyMessages: number;
  /** How long each room object keeps a message for resuming members. */
  readonly historySeconds: number;
}

/** The `[vars]` as they reach the Worker: wrangler.toml strings, or numbers where written bare. */
export type ConfigVars = Partial<Record<ConfigVarName, string | number>>;
export type ConfigVarName =
  | "ECHO_PREFIX"
  | "MAX_MESSAGE_BYTES"
  | "ROOM_MAX_CONNECTIONS"
  | "ROOM_SHARD_CONNECTIONS"
  | "ROOM_MAX_PER_USER"
  | "ROOM_MAX_PER_ADDRESS"
  | "ROOM_PRESENCE_MAX"
  | "ALLOWED_ORIGINS"
  | "SUBPROTOCOLS"
  | "MAX_MESSAGES_PER_SECOND"
  | "CONTROLS"
  | "ROOM_AUTH"
  | "ROOM_HISTORY_MESSAGES"
  | "ROOM_HISTORY_SECONDS"
  | "ROOM_TOKEN_QUERY"
  | "ROOM_TOKEN_SECRET"
  | "IP_LIMITS";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses and validates the vars; throws `ConfigError` listing every bad value. */
export function parseConfig(vars: ConfigVars): Config {
  const problems: string[] = [];
  const integer = (name: ConfigVarName, fallback: number, min: number, max: number): number => {
    const raw = vars[name];
    if (raw === undefined || String(raw) === "") return fallback;
    // A plain decimal integer, as strict as the test controls: no `1e3`, `0x10`, `+5`, `5.0` or spaces.
    const value = DECIMAL_INTEGER.test(String(raw)) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a decimal integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const list = (name: ConfigVarName): string[] =>
    String(vars[name] ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");

  const origins = list("ALLOWED_ORIGINS");
  for (const origin of origins) {
    if (origin !== "*" && !isOrigin(origin))
      problems.push(`ALLOWED_ORIGINS entry ${JSON.stringify(origin)} is not an origin like https://example.com`);
  }
  const subprotocols = list("SUBPROTOCOLS");
  for (const protocol of subprotocols) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(protocol))
      problems.push(`SUBPROTOCOLS entry ${JSON.stringify(protocol)} is not a valid token`);
  }

  const switchVar = (name: ConfigVarName, fallback: boolean): boolean => {
    const raw = String(vars[name] ?? "").trim();
    if (raw === "") return fallback;
    if (raw === "on" || raw === "off") return raw === "on";
    problems.push(`${name} must be "on" or "off", got ${JSON.stringify(vars[name])}`);
    return fallback;
  };

  const tokenQuery = switchVar("ROOM_TOKEN_QUERY", false);
  const roomAuth = ((): RoomAuth => {
    const mode = String(vars.ROOM_AUTH ?? "").trim();
    if (mode === "" || mode === "open") return { mode: "open" };
    if (mode !== "token") {
      problems.push(`ROOM_AUTH must be "open" or "token", got ${JSON.stringify(vars.ROOM_AUTH)}`);
      return { mode: "open" };
    }
    // The secret's value is never part of a message: only its length.
    const secret = new TextEncoder().encode(String(vars.ROOM_TOKEN_SECRET ?? ""));
    if (secret.byteLength < MIN_TOKEN_SECRET_BYTES)
      problems.push(
        `ROOM_AUTH=token needs the secret ROOM_TOKEN_SECRET of at least ${MIN_TOKEN_SECRET_BYTES} bytes, got ${secret.byteLength}`,
      );
    return { mode: "token", secret, query: tokenQuery };
  })();

  const config: Config = {
    echoPrefix: String(vars.ECHO_PREFIX ?? ""),
    maxMessageBytes: integer("MAX_MESSAGE_BYTES", PLATFORM_MAX_MESSAGE_BYTES, 1, PLATFORM_MAX_MESSAGE_BYTES),
    roomMaxConnections: integer("ROOM_MAX_CONNECTIONS", DEFAULT_ROOM_MAX_CONNECTIONS, 1, MAX_ROOM_CONNECTIONS),
    // Above ROOM_MAX_CONNECTIONS is allowed: the room then never needs a second object.
    roomShardConnections: integer(
      "ROOM_SHARD_CONNECTIONS",
      DEFAULT_ROOM_SHARD_CONNECTIONS,
      1,
      PLATFORM_MAX_SHARD_CONNECTIONS,
    ),
    roomMaxPerUser: integer("ROOM_MAX_PER_USER", DEFAULT_ROOM_MAX_PER_USER, 0, MAX_ROOM_CONNECTIONS),
    roomMaxPerAddress: integer("ROOM_MAX_PER_ADDRESS", DEFAULT_ROOM_MAX_PER_ADDRESS, 0, MAX_ROOM_CONNECTIONS),
    roomPresenceMax: integer("ROOM_PRESENCE_MAX", DEFAULT_ROOM_PRESENCE_MAX, 0, MAX_ROOM_PRESENCE),
    allowedOrigins: origins.length === 0 || origins.includes("*") ? "*" : new Set(origins),
    subprotocols: new Set(subprotocols),
    maxMessagesPerSecond: integer("MAX_MESSAGES_PER_SECOND", DEFAULT_MAX_MESSAGES_PER_SECOND, 0, 1_000_000),
    controls: switchVar("CONTROLS", true),
    roomAuth,
    ipLimits: switchVar("IP_LIMITS", true),
    historyMessages: integer("ROOM_HISTORY_MESSAGES", DEFAULT_HISTORY_MESSAGES, 0, MAX_HISTORY_MESSAGES),
    historySeconds: integer("ROOM_HISTORY_SECONDS", DEFAULT_HISTORY_SECONDS, 1, MAX_HISTORY_SECONDS),
  };
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  return config;
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.origin === value && (url.protocol === "https:" || url.protocol === "http:");
  } catch {
    return false;
  }
}

const parsed = new WeakMap<object, Config | ConfigError>();

/**
 * The parsed config for this `env`, computed once per isolate and env object.
 * A bad config throws the same `ConfigError` instance on every call, so callers
 * can log it once rather than per request.
 */
export function configFor(env: ConfigVars): Config {
  const cached = parsed.get(env);
  if (cached instanceof ConfigError) throw cached;
  if (cached !== undefined) return cached;
  try {
    const config = parseConfig(env);
    parsed.set(env, config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) parsed.set(env, error);
    throw error;
  }
}
