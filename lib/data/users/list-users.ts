import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { TSessionUser } from "@/lib/auth/session-store";

export type TUserRow = { id: string; username: string; displayName: string; role: string; team: string | null; disabled: boolean; createdAt: string };

export async function listUsers({ actor }: { actor: TSessionUser }): Promise<TUserRow[]> {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins may list users.");
  const rows = await db.user.findMany({
    orderBy: [{ role: "asc" }, { username: "asc" }],
    select: { id: true, username: true, displayName: true, role: true, team: true, disabled: true, createdAt: true },
  });
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}
