import { describe, expect, it } from "vitest";
import { addressKey, loggedPrefix } from "../../../src/http/client-address";

function from(address: string | null): Request {
  const headers = new Headers();
  if (address !== null) headers.set("CF-Connecting-IP", address);
  return new Request("https://edge-echo.test/ws", { headers });
}

describe("the address a limit counts", () => {
  it("is an IPv4 address whole", () => {
    expect(addressKey(from("203.0.113.7"))).toBe("203.0.113.7");
  });

  it("is an IPv6 address's /64, however the address is written", () => {
    const key = "2001:db8:0:1::/64";
    expect(addressKey(from("2001:db8:0:1::1"))).toBe(key);
    expect(addressKey(from("2001:0DB8:0000:0001:ffff:ffff:ffff:ffff"))).toBe(key);
    expect(addressKey(from("2001:db8::1:0:0:0:2"))).toBe(key);
    expect(addressKey(from("2001:db8:0:2::1"))).not.toBe(key);
  });

  it("reads an IPv4-mapped IPv6 address by its groups", () => {
    expect(addressKey(from("::ffff:192.0.2.1"))).toBe("0:0:0:0::/64");
  });

  it("is null without the header or with something that is not an address", () => {
    expect(addressKey(from(null))).toBeNull();
    expect(addressKey(from(""))).toBeNull();
    expect(addressKey(from("256.1.1.1"))).toBeNull();
    expect(addressKey(from("1:2:3"))).toBeNull();
    expect(addressKey(from("1::2::3"))).toBeNull();
    expect(addressKey(from("evil, 1.2.3.4"))).toBeNull();
  });
});

describe("the prefix a log may show", () => {
  it("is a /24 for IPv4 and a /48 for IPv6, never the whole address", () => {
    expect(loggedPrefix("203.0.113.7")).toBe("203.0.113.0/24");
    expect(loggedPrefix("2001:db8:0:1::/64")).toBe("2001:db8:0::/48");
  });
});
