/**
 * `ALLOWED_ORIGINS` on the rooms' HTTP paths: with a list, a page of another origin
 * reads nothing and publishes nothing; a listed page gets its own origin back.
 */
import { describe, expect, it } from "vitest";
import { fetchWithVars } from "../helpers";
import { freshRoom } from "../rooms/helpers";

const LISTED = { ALLOWED_ORIGINS: "https://app.example, https://admin.example" };

/** Every HTTP path of a room, with the method that reaches it. */
function roomRequests(room: string): [string, string, RequestInit][] {
  return [
    ["GET", `/rooms/${room}`, {}],
    ["HEAD", `/rooms/${room}`, { method: "HEAD" }],
    ["GET", `/rooms/${room}/history`, {}],
    ["POST", `/rooms/${room}`, { method: "POST", body: "hi", headers: { "Content-Type": "text/plain" } }],
  ];
}

function withOrigin(init: RequestInit, origin: string | null): RequestInit {
  const headers = new Headers(init.headers);
  if (origin !== null) headers.set("Origin", origin);
  return { ...init, headers };
}

describe("ALLOWED_ORIGINS on every room path", () => {
  it("refuses an origin not in the list with 403, on GET, HEAD, history and POST", async () => {
    for (const [method, path, init] of roomRequests(freshRoom())) {
      const response = await fetchWithVars(path, LISTED, withOrigin(init, "https://evil.example"));
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
      if (method === "GET")
        expect(await response.text()).toBe("origin https://evil.example is not allowed to read rooms\n");
    }
  });

  it("answers a listed origin, or the service's own page, with that origin and Vary: Origin", async () => {
    for (const origin of ["https://admin.example", "http://edge-echo.test"]) {
      for (const [method, path, init] of roomRequests(freshRoom())) {
        const response = await fetchWithVars(path, LISTED, withOrigin(init, origin));
        expect({ method, path, status: response.status }).toEqual({
          method,
          path,
          status: method === "POST" ? 202 : 200,
        });
        expect(response.headers.get("Access-Control-Allow-Origin")).toBe(origin);
        expect(response.headers.get("Vary")).toBe("Origin");
      }
    }
  });

  it("answers a request without Origin (not a browser page), with no origin allowed in it", async () => {
    const response = await fetchWithVars(`/rooms/${freshRoom()}`, LISTED);
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(response.headers.get("Vary")).toBe("Origin");
  });

  it("keeps the default * as it was: any origin reads, with Access-Control-Allow-Origin: *", async () => {
    for (const [, path, init] of roomRequests(freshRoom())) {
      const response = await fetchWithVars(path, {}, withOrigin(init, "https://anywhere.example"));
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    }
  });
});
