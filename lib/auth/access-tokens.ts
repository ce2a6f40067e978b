import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { NARROWER_ROLES, ROLE_LABEL, ROLES, type TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { refuseInvisible } from "@/lib/protocol/hygiene";
import { ACCESS_TOKEN_PREFIX, hashOf, rowSelect, type TRowRecord } from "@/lib/auth/access-token-check";

// Checking a presented token lives in access-token-check.ts (no server-only marker), so the
// socket.io handshake in server.ts can use it too.
export { ACCESS_TOKEN_PREFIX, assertAccessTokenActive, userForAccessToken } from "@/lib/auth/access-token-check";

// Personal access tokens: what the REST API and the CLI authenticate with. The token is shown to
// its user once, when made; the store keeps its SHA-256 only (a 256-bit random value needs no
// slow hash). Every request re-reads the row, so a revoked or expired token stops working at once.

export const MAX_TOKENS_PER_USER = 50;
export const MAX_TOKEN_DAYS = 366;

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

