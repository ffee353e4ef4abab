/**
 * Structured logs: one JSON object per line, so Workers Logs (`[observability]`)
 * indexes every field. Errors carry class and message, never a stack to a client.
 */

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** One info-level event, e.g. a connection's summary when it ends. */
export function logEvent(event: string, fields: LogFields): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** An error with the context needed to find its cause: where it happened and to whom. */
export function logError(event: string, error: unknown, fields: LogFields = {}): void {
  const { name, message } = error instanceof Error ? error : { name: typeof error, message: String(error) };
  console.error(JSON.stringify({ event, error: name, message, ...fields }));
}
