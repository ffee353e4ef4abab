/** Byte sizes on the command line: `32`, `64KiB`, `1MiB` (also `64k`, `1m`, `1 MB` = 10^6). */

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
};

/** The number of bytes `text` names, or `null` if it is not a size. */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (match === null) return null;
  const unit = UNITS[(match[2] ?? "").toLowerCase()];
  if (unit === undefined) return null;
  const value = Number(match[1]) * unit;
  return Number.isSafeInteger(value) ? value : Math.round(value);
}
