import { describe, expect, it } from "vitest";
import { allowedOrigins, assertRuntimeEnv, cookieSecure, parseEnv } from "@/lib/env";
import { clientAddress, judgeOrigin, type TRequestFacts } from "@/lib/http/origins";

const CONSOLE = "http://127.0.0.1:3000";
const allowed = [CONSOLE, "http://localhost:3000"];
const judge = (facts: Partial<TRequestFacts>) => judgeOrigin({ method: "GET", path: "/sessions", ...facts }, allowed);

describe("judgeOrigin", () => {
  it("accepts the console's own origin for any method", () => {
    for (const method of ["GET", "POST", "DELETE"]) expect(judge({ method, origin: CONSOLE, fetchSite: "same-origin" })).toEqual({ ok: true });
  });

  it("refuses another port, a sibling subdomain, another scheme and the opaque origin", () => {
    for (const origin of ["http://127.0.0.1:3001", "http://evil.127.0.0.1.nip.io:3000", "https://127.0.0.1:3000", "null", "http://127.0.0.1:3000.evil.com"]) {
      expect(judge({ method: "POST", origin, fetchSite: "same-site" })).toEqual({ ok: false, origin, reason: `origin ${origin} is not one of the console's origins` });
      // The WebSocket handshake is a GET with an Origin: refused the same way.
      expect(judge({ method: "GET", path: "/socket.io/", origin, fetchMode: "websocket" }).ok).toBe(false);
    }
  });

  it("lets a link from another site open a page, but not fetch, embed or post", () => {
    expect(judge({ fetchSite: "cross-site", fetchMode: "navigate" })).toEqual({ ok: true });
    expect(judge({ path: "/api/sessions", fetchSite: "same-site", fetchMode: "no-cors" }).ok).toBe(false);
    expect(judge({ path: "/api/sessions", fetchSite: "cross-site", fetchMode: "cors" }).ok).toBe(false);
    expect(judge({ method: "POST", fetchSite: "same-site", fetchMode: "navigate" }).ok).toBe(false);
  });

  it("accepts same-origin and user-typed browser requests without an Origin header", () => {
    expect(judge({ path: "/api/sessions", fetchSite: "same-origin", fetchMode: "cors" })).toEqual({ ok: true });
    expect(judge({ fetchSite: "none", fetchMode: "navigate" })).toEqual({ ok: true });
  });

  it("accepts non-browser clients (no Origin, no Sec-Fetch-Site)", () => {
    expect(judge({ path: "/api/sessions" })).toEqual({ ok: true });
    expect(judge({ method: "POST", path: "/users" })).toEqual({ ok: true });
  });
});

describe("allowed origins from the environment", () => {
  it("defaults to the console's own URL, with both loopback spellings", () => {
    expect(allowedOrigins(parseEnv({ PORT: "3420" }))).toEqual(["http://127.0.0.1:3420", "http://localhost:3420", "http://[::1]:3420"]);
    expect(allowedOrigins(parseEnv({ HOST: "baton.internal", PORT: "80" }))).toEqual(["http://baton.internal"]);
  });

  it("takes a comma-separated list and normalises each origin", () => {
    const env = parseEnv({ BATON_ALLOWED_ORIGINS: "https://Baton.Example.com/, https://baton.example.com:8443" });
    expect(allowedOrigins(env)).toEqual(["https://baton.example.com", "https://baton.example.com:8443"]);
  });

  it("names the variable when an entry is not an origin", () => {
    for (const bad of ["baton.example.com", "https://baton.example.com/console", "ftp://x.example", ","]) {
      expect(() => parseEnv({ BATON_ALLOWED_ORIGINS: bad })).toThrow(/BATON_ALLOWED_ORIGINS/);
    }
  });

  it("requires the list when listening on every interface", () => {
    const secret = "x".repeat(32);
    expect(() => assertRuntimeEnv(parseEnv({ HOST: "0.0.0.0", BATON_SECRET: secret }))).toThrow(/BATON_ALLOWED_ORIGINS: required when HOST is 0\.0\.0\.0/);
    expect(() => assertRuntimeEnv(parseEnv({ HOST: "0.0.0.0", BATON_SECRET: secret, BATON_ALLOWED_ORIGINS: "https://b.example" }))).not.toThrow();
  });

  it("makes the cookie Secure when every origin is https, unless told otherwise", () => {
    expect(cookieSecure(parseEnv({}))).toBe(false);
    expect(cookieSecure(parseEnv({ BATON_ALLOWED_ORIGINS: "https://b.example" }))).toBe(true);
    expect(cookieSecure(parseEnv({ BATON_ALLOWED_ORIGINS: "https://b.example,http://127.0.0.1:3000" }))).toBe(false);
    expect(cookieSecure(parseEnv({ BATON_COOKIE_SECURE: "1" }))).toBe(true);
  });
});

describe("clientAddress", () => {
  const req = (xff?: string) => ({ headers: xff ? { "x-forwarded-for": xff } : {}, socket: { remoteAddress: "::ffff:10.0.0.5" } });
  it("uses the peer address and ignores X-Forwarded-For unless the proxy is trusted", () => {
    expect(clientAddress(req("1.2.3.4"), false)).toBe("10.0.0.5");
    expect(clientAddress(req("6.6.6.6, 203.0.113.9"), true)).toBe("203.0.113.9");
    expect(clientAddress(req(), true)).toBe("10.0.0.5");
  });
});
