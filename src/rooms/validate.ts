/**
 * Checks for data that reaches a room untyped: a request header, a socket
 * attachment, storage, the arguments of a call from another object.
 */

/** A plain object, so its fields can be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An integer from `min` to `max`. */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** A message's id and who sent it so, as another object hands them: both, or neither (undefined); null when malformed. */
export function parseSentId(id: unknown, identity: unknown): { id: string; identity: string } | undefined | null {
  if (id === undefined && identity === undefined) return undefined;
  if (typeof id !== "string" || id.length === 0 || id.length > 64) return null;
  if (typeof identity !== "string" || identity.length === 0 || identity.length > 256) return null;
  return { id, identity };
}
