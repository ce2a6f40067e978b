import { NextResponse, type NextRequest } from "next/server";
import { cookieSecure, env } from "@/lib/env";
import { refuseInvalidUtf8 } from "@/lib/http/utf8-guard";

// Refuses bodies that are not UTF-8, hands the requested path to server layouts (for the
// sign-in "next" link) and sets each response's Content-Security-Policy with a fresh nonce: Next
// reads the nonce from the request's CSP header and puts it on its own inline and bundle
// scripts, so no other inline script runs. Authorization is not done here: every page and
// action checks the session itself. The origin check runs before this, in server.ts.
export async function proxy(request: NextRequest) {
  const invalid = await refuseInvalidUtf8(request);
  if (invalid) return invalid;
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = contentSecurityPolicy(request.nextUrl.pathname, nonce);
  const headers = new Headers(request.headers);
  headers.set("x-baton-path", request.nextUrl.pathname + request.nextUrl.search);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (cookieSecure(env())) response.headers.set("strict-transport-security", "max-age=31536000");
  return response;
}

function contentSecurityPolicy(pathname: string, nonce: string): string {
  // JSON routes render nothing: nothing may load from them or frame them.
  if (pathname.startsWith("/api/")) return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  const dev = process.env.NODE_ENV !== "production";
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts Next's nonced bootstrap loads run; no inline script without the nonce.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Inline styles stay allowed: React renders style attributes and xterm.js writes <style>
    // elements at run time, neither of which can carry a nonce. Styles cannot run script.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // socket.io: same origin (ws: and wss: to the page's own host match 'self').
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(cookieSecure(env()) ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export const config = { matcher: ["/((?!_next/|favicon.ico|socket.io).*)"] };
