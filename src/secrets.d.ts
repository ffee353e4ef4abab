/**
 * Secrets are set with `wrangler secret put` (or `.dev.vars` locally), never in
 * wrangler.toml, so `wrangler types` cannot see them: they are declared here.
 */
declare namespace Cloudflare {
  interface Env {
    /** HS256 key for room tokens with `ROOM_AUTH=token`: at least 32 bytes (docs/private-rooms.md). */
    ROOM_TOKEN_SECRET?: string;
  }
}
interface Env {
  ROOM_TOKEN_SECRET?: string;
}
