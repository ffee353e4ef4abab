/**
 * `npm run token -- --sub alice --room lobby --ttl 3600 [--write]`: prints a room
 * token signed with the local secret, ROOM_TOKEN_SECRET from the environment or
 * `.dev.vars`, for trying private rooms (docs/private-rooms.md). `--room` may be
 * given more than once, and may end in `*` for every room starting with what precedes it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const ROOT = resolve(import.meta.dirname, "..");
const MIN_SECRET_BYTES = 32;

function fail(message: string): never {
  console.error(`npm run token: ${message}`);
  process.exit(2);
}

/** ROOM_TOKEN_SECRET from the environment, else from .dev.vars (KEY=value or KEY="value" lines). */
function localSecret(): string {
  const fromEnv = process.env.ROOM_TOKEN_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  let vars = "";
  try {
    vars = readFileSync(resolve(ROOT, ".dev.vars"), "utf8");
  } catch {
    fail("no ROOM_TOKEN_SECRET in the environment and no .dev.vars (copy .dev.vars.example)");
  }
  const line = vars.split(/\r?\n/).find((entry) => entry.trim().startsWith("ROOM_TOKEN_SECRET="));
  const value = line
    ?.slice(line.indexOf("=") + 1)
    .trim()
    .replace(/^"(.*)"$/, "$1");
  if (value === undefined || value === "") fail(".dev.vars has no ROOM_TOKEN_SECRET");
  return value;
}

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    room: { type: "string", multiple: true },
    ttl: { type: "string", default: "3600" },
    write: { type: "boolean", default: false },
  },
});
const { sub, room: rooms = [], ttl, write } = values;
if (sub === undefined || sub.length === 0 || sub.length > 128) fail("--sub NAME is required (1 to 128 characters)");
if (rooms.length === 0) fail("--room NAME is required (repeat it for more rooms; NAME* for a prefix)");
if (!/^[1-9][0-9]*$/.test(ttl)) fail(`--ttl must be whole seconds, got ${JSON.stringify(ttl)}`);
const secret = new TextEncoder().encode(localSecret());
if (secret.byteLength < MIN_SECRET_BYTES) fail(`ROOM_TOKEN_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);

const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ rooms, write })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(sub)
  .setIssuedAt(now)
  .setExpirationTime(now + Number(ttl))
  .sign(secret);
console.log(token);
// On stderr, so `$(npm run -s token …)` still captures the token alone. The token goes in a
// subprotocol entry or a header: a URL is recorded by every layer it crosses.
const room = rooms.find((name) => !name.includes("*")) ?? "ROOM";
console.error(`Join with it as a subprotocol entry beside room-token (not ?token=, which logs record):
  TOKEN=$(npm run -s token -- ${process.argv.slice(2).join(" ")})
  npx wscat -c ws://127.0.0.1:8787/rooms/${room} -s room-token -s "room-token.$TOKEN"
Read or publish with it as a header:
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8787/rooms/${room}`);
