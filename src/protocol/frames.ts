/**
 * Pure helpers on message payloads: their size on the wire and the echo's reply.
 */

/** The UTF-8 length of a string without allocating its encoding. */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** Size of a received message in bytes, text counted as UTF-8. */
export function messageBytes(data: string | ArrayBuffer): number {
  return typeof data === "string" ? utf8ByteLength(data) : data.byteLength;
}

/** A message's echo with `prefix` in front: text stays text, binary gets the prefix's UTF-8 bytes. */
export function withPrefix(data: string | ArrayBuffer, prefix: string, prefixBytes: Uint8Array): string | ArrayBuffer {
  if (prefix === "") return data;
  if (typeof data === "string") return prefix + data;
  const out = new Uint8Array(prefixBytes.byteLength + data.byteLength);
  out.set(prefixBytes, 0);
  out.set(new Uint8Array(data), prefixBytes.byteLength);
  return out.buffer;
}
