/**
 * Who a request comes from, as a key for per-address limits. One person holds one IPv4
 * address but a whole IPv6 /64 (any host of it is theirs to pick), so IPv6 counts by its
 * first four groups. Logs get a coarser prefix still (/24, /48): enough to see a flood's
 * source network, never a visitor's full address. Pure.
 */

/** The address the platform saw (`CF-Connecting-IP`, which a client cannot set on Cloudflare). */
export const ADDRESS_HEADER = "CF-Connecting-IP";

/** The limit key of a request's address: IPv4 whole, IPv6 by its /64; null when it has none. */
export function addressKey(request: Request): string | null {
  const raw = request.headers.get(ADDRESS_HEADER)?.trim();
  if (raw === undefined || raw === "") return null;
  const groups = ipv6Groups(raw);
  if (groups !== null) return `${groups.slice(0, 4).join(":")}::/64`;
  return isIPv4(raw) ? raw : null;
}

/** An address key cut to what a log may show: an IPv4 /24 or an IPv6 /48. */
export function loggedPrefix(key: string): string {
  if (key.endsWith("::/64")) return `${key.split(":").slice(0, 3).join(":")}::/48`;
  const octets = key.split(".");
  return octets.length === 4 ? `${octets.slice(0, 3).join(".")}.0/24` : "unknown";
}

function isIPv4(text: string): boolean {
  const octets = text.split(".");
  return octets.length === 4 && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/** The eight groups of an IPv6 address, each lower-case without leading zeros; null when it is not one. */
function ipv6Groups(text: string): string[] | null {
  if (!text.includes(":")) return null;
  let address = text.toLowerCase().replace(/%.*$/, "");
  // An IPv4 tail (::ffff:192.0.2.1) becomes its two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail?.[1] !== undefined) {
    if (!isIPv4(tail[1])) return null;
    const [a = 0, b = 0, c = 0, d = 0] = tail[1].split(".").map(Number);
    address = `${address.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : (halves[0] ?? "").split(":");
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] ?? "").split(":")) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...rest];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
