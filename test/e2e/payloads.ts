/**
 * Test payloads whose byte length is exact, so every length boundary of RFC 6455
 * framing (125, 126, 65535, 65536) and the platform cap is hit on the byte.
 */
import { randomBytes } from "node:crypto";

/** 1 + 2 + 3 + 4 bytes: every UTF-8 sequence length, so a broken re-encoding shows. */
const MIXED_UTF8 = "a\u00e9\u20ac\u{1f600}";
const MIXED_UTF8_BYTES = 10;

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** A string of exactly `bytes` UTF-8 bytes, mostly multi-byte characters. */
export function textOfBytes(bytes: number): string {
  const whole = Math.floor(bytes / MIXED_UTF8_BYTES);
  return MIXED_UTF8.repeat(whole) + "a".repeat(bytes - whole * MIXED_UTF8_BYTES);
}

/** `bytes` random bytes: an echo that drops, reorders or re-encodes any of them shows. */
export function binaryOfBytes(bytes: number): Buffer {
  return randomBytes(bytes);
}
