import { createHash, randomBytes } from "node:crypto";
import { db } from "@/lib/db/client";
import { cookieSecure, env } from "@/lib/env";
import type { TRole } from "@/lib/auth/roles";

// Server-side sessions: the browser holds a random 256-bit token in an HttpOnly cookie, the
// database holds only its SHA-256. Shared by pages, server actions and the socket.io handshake.
// Over HTTPS the cookie is Secure and named with the `__Host-` prefix, which browsers accept only
// when it is Secure, for path / and without a Domain: a sibling subdomain cannot set or shadow it.
export const SESSION_COOKIE_PLAIN = "baton_session";
export const SESSION_COOKIE_SECURE = "__Host-baton_session";
export const sessionCookie = (): { name: string; secure: boolean } =>
  cookieSecure(env()) ? { name: SESSION_COOKIE_SECURE, secure: true } : { name: SESSION_COOKIE_PLAIN, secure: false };

export type TSessionUser = {
  id: string;
  username: string;
  displayName: string;
  role: TRole;
  team: string | null;
  /** Set when the request came with a personal access token (REST API, CLI) instead of the cookie. */
  accessToken?: { id: string; name: string };
};

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createAuthSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + env().BATON_SESSION_TTL_HOURS * 3600_000);
  await db.authSession.create({ data: { id: hashToken(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function userForToken(token: string | undefined | null): Promise<TSessionUser | null> {
  if (!token || token.length > 100) return null;
  const row = await db.authSession.findUnique({
    where: { id: hashToken(token) },
    select: { expiresAt: true, user: { select: { id: true, username: true, displayName: true, role: true, team: true, disabled: true } } },
  });
  if (!row || row.expiresAt.getTime() <= Date.now() || row.user.disabled) return null;
  const { disabled: _disabled, ...user } = row.user;
  return user;
}

export async function deleteAuthSession(token: string): Promise<void> {
  await db.authSession.deleteMany({ where: { id: hashToken(token) } });
}

export function tokenFromCookieHeader(header: string | undefined): string | null {
  if (!header) return null;
  const { name } = sessionCookie();
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}
