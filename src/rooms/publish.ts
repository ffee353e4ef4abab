/**
 * `POST /rooms/:name`: a backend publishes its request body as one message to every
 * member of the room. The body's type says what members receive: bytes
 * (`application/octet-stream`) as a binary message, `text/*` (UTF-8) as a text message.
 * The body is read up to `MAX_MESSAGE_BYTES` and no further.
 */
import type { Config } from "../config";
import { textResponse } from "../http/responses";
import type { Payload } from "./message";

export type Publication =
  | { readonly ok: true; readonly message: Payload; readonly size: number }
  | { readonly ok: false; readonly response: Response };

/** The body of a publish as the message it makes, or the 400, 413 or 415 that refuses it. */
export async function readPublication(request: Request, config: Config): Promise<Publication> {
  const type = (request.headers.get("Content-Type") ?? "").toLowerCase();
  const [mediaType = "", ...params] = type.split(";").map((part) => part.trim());
  const charset = params.find((param) => param.startsWith("charset="))?.slice("charset=".length);
  const binary = mediaType === "application/octet-stream";
  const text = mediaType.startsWith("text/") && (charset === undefined || charset === "utf-8");
  if (!binary && !text) {
    const reason = "publish with Content-Type application/octet-stream (binary) or text/* in UTF-8 (text)";
    return { ok: false, response: textResponse(415, reason) };
  }
  const max = config.maxMessageBytes;
  const bytes = await readUpTo(request.body, max);
  if (bytes === null) return { ok: false, response: textResponse(413, `body over the ${max}-byte message limit`) };
  if (binary) return { ok: true, message: bytes.slice().buffer, size: bytes.byteLength };
  try {
    const message = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, message, size: bytes.byteLength };
  } catch {
    return { ok: false, response: textResponse(400, "body is not valid UTF-8") };
  }
}

/** The body's bytes, or null once they pass `max`: the rest is never read. */
async function readUpTo(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | null> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
