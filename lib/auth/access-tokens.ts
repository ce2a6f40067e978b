import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { NARROWER_ROLES, ROLE_LABEL, ROLES, type TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { refuseInvisible } from "@/lib/protocol/hygiene";

// Personal access tokens: what the REST API and the CLI authenticate with. The token is shown to
// its user once, when made; the store keeps its SHA-256 only (a 256-bit random value needs no
// slow hash). Every request re-reads the row, so a revoked or expired token stops working at once.

export const ACCESS_TOKEN_PREFIX = "baton_pat_";
export const MAX_TOKENS_PER_USER = 50;
export const MAX_TOKEN_DAYS = 366;

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

export const ZCreateAccessToken = z.object({
  name: z
    .string()
    .trim()
    .min(1, "is required")
    .max(60, "must be at most 60 characters")
    .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
    .superRefine(refuseInvisible),
  expiresInDays: z.number({ error: "must be a number of days" }).int("must be a whole number of days").min(1, "must be at least 1").max(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS}`),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(", ")}` }).optional(),
});
export type TCreateAccessToken = z.infer<typeof ZCreateAccessToken>;

export const ZAccessTokenRef = z.object({ tokenId: z.string().regex(/^[a-z0-9]{20,40}$/, "is not a valid id") });

export type TAccessTokenRow = {
  id: string;
  name: string;
  role: TRole | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: "active" | "expired" | "revoked";
};

const rowSelect = { id: true, name: true, role: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true } as const;
type TRowRecord = { id: string; name: string; role: TRole | null; createdAt: Date; expiresAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

function toRow(r: TRowRecord, now = Date.now()): TAccessTokenRow {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    status: r.revokedAt ? "revoked" : r.expiresAt.getTime() <= now ? "expired" : "active",
  };
}

/** Makes a token for the acting user; the value is returned here and never again. */
export async function createAccessToken({ actor, input }: { actor: TSessionUser; input: TCreateAccessToken }): Promise<{ token: string; row: TAccessTokenRow }> {
  // A token cannot mint tokens: otherwise a narrowed or stolen one would outlive its revocation.
  if (actor.accessToken) throw new AppError("FORBIDDEN", "Access tokens are made in the console while signed in, not with another token.");
  if (input.role && !NARROWER_ROLES[actor.role].includes(input.role)) {
    throw new AppError("INVALID_INPUT", `A ${ROLE_LABEL[actor.role]} may not make a token with the role ${input.role}: choose one of ${NARROWER_ROLES[actor.role].join(", ")}.`, {
      role: [`must be one of ${NARROWER_ROLES[actor.role].join(", ")}`],
    });
  }
  const count = await db.accessToken.count({ where: { userId: actor.id, revokedAt: null, expiresAt: { gt: new Date() } } });
  if (count >= MAX_TOKENS_PER_USER) throw new AppError("QUOTA_EXCEEDED", `You have ${count} active tokens, the most allowed. Revoke one you no longer use.`);
  const existing = await db.accessToken.findFirst({ where: { userId: actor.id, name: input.name }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `You already have a token named ${input.name}. Choose another name.`, { name: ["is taken"] });
  const token = ACCESS_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const created = await db.accessToken.create({
    data: { userId: actor.id, name: input.name, tokenHash: hashOf(token), role: input.role ?? null, expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000) },
    select: rowSelect,
  });
  return { token, row: toRow(created as TRowRecord) };
}

export async function listAccessTokens({ actor }: { actor: TSessionUser }): Promise<TAccessTokenRow[]> {
  const rows = await db.accessToken.findMany({ where: { userId: actor.id }, select: rowSelect, orderBy: { createdAt: "desc" } });
  const now = Date.now();
  return (rows as TRowRecord[]).map((r) => toRow(r, now));
}

/** Revokes one of the acting user's tokens (an admin may revoke anyone's). Revoking twice is a no-op. */
export async function revokeAccessToken({ actor, tokenId }: { actor: TSessionUser; tokenId: string }): Promise<TAccessTokenRow> {
  const where = actor.role === "admin" ? { id: tokenId } : { id: tokenId, userId: actor.id };
  const found = (await db.accessToken.findFirst({ where, select: rowSelect })) as TRowRecord | null;
  if (!found) throw new AppError("NOT_FOUND", `No token with id ${tokenId} of yours.`);
  if (found.revokedAt) return toRow(found);
  const updated = await db.accessToken.update({ where: { id: found.id }, data: { revokedAt: new Date() }, select: rowSelect });
  return toRow(updated as TRowRecord);
}

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
