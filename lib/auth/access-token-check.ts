import { createHash } from "node:crypto";
import { NARROWER_ROLES, type TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";

// A presented personal access token checked against the store: the REST API (lib/api/route.ts)
// and the socket.io handshake (lib/realtime/socket-server.ts, which runs outside Next and so
// must not import server-only modules) both use these. Making, listing and revoking tokens is
// lib/auth/access-tokens.ts.

export const ACCESS_TOKEN_PREFIX = "baton_pat_";

export const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

export const rowSelect = { id: true, name: true, role: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true } as const;
export type TRowRecord = { id: string; name: string; role: TRole | null; createdAt: Date; expiresAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

/** Why a presented token is refused, in words the caller can act on (never echoing the value). */
const refused = (message: string) => new AppError("UNAUTHENTICATED", message);

// lastUsedAt is a hint for the token list, not an audit record: written at most once a minute.
const LAST_USED_EVERY_MS = 60_000;

/** The user a token acts as, with the token's narrower role if it has one; throws UNAUTHENTICATED. */
export async function userForAccessToken(token: string): Promise<TSessionUser> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX) || token.length > 120) throw refused("That is not a Baton access token (they start with baton_pat_).");
  const row = await db.accessToken.findUnique({
    where: { tokenHash: hashOf(token) },
    select: { ...rowSelect, user: { select: { id: true, username: true, displayName: true, role: true, team: true, disabled: true } } },
  });
  if (!row) throw refused("The access token is not valid.");
  const user = await checkedUser(row as TRowRecord & { user: TSessionUser & { disabled: boolean } });
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
    await db.accessToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() }, select: { id: true } });
  }
  return user;
}

async function checkedUser(row: TRowRecord & { user: TSessionUser & { disabled: boolean } }): Promise<TSessionUser> {
  const label = `The access token ${row.name}`;
  if (row.revokedAt) throw refused(`${label} was revoked at ${row.revokedAt.toISOString()}.`);
  if (row.expiresAt.getTime() <= Date.now()) throw refused(`${label} expired at ${row.expiresAt.toISOString()}.`);
  if (row.user.disabled) throw refused(`${label} belongs to a disabled account.`);
  // The user's role may have changed since: a token never does more than its user may now.
  if (row.role && !NARROWER_ROLES[row.user.role].includes(row.role)) {
    throw refused(`${label} has the role ${row.role}, which your current role (${row.user.role}) does not include. Make a new token.`);
  }
  const { disabled: _disabled, ...user } = row.user;
  return { ...user, role: row.role ?? user.role, accessToken: { id: row.id, name: row.name } };
}

/**
 * Throws when the token the user acts with has been revoked or has expired since the request
 * began (a long bulk job checks before each target). A no-op for a signed-in browser's user.
 */
export async function assertAccessTokenActive(user: TSessionUser): Promise<void> {
  if (!user.accessToken) return;
  const row = await db.accessToken.findUnique({
    where: { id: user.accessToken.id },
    select: { ...rowSelect, user: { select: { id: true, username: true, displayName: true, role: true, team: true, disabled: true } } },
  });
  if (!row) throw refused(`The access token ${user.accessToken.name} no longer exists.`);
  await checkedUser(row as TRowRecord & { user: TSessionUser & { disabled: boolean } });
}
