import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { TSessionUser } from "@/lib/auth/session-store";

export type TAuditRow = {
  seq: number;
  at: string;
  actorName: string;
  actorRole: string;
  action: string;
  outcome: string;
  computerName: string | null;
  sessionName: string | null;
  error: string | null;
  params: string;
};

// Newest first, keyset-paged by seq.
export async function listAuditEvents({ actor, before, take = 50 }: { actor: TSessionUser; before?: number; take?: number }) {
  if (actor.role !== "auditor" && actor.role !== "admin") throw new AppError("FORBIDDEN", "Only auditors and admins may read the audit trail.");
  const rows = await db.auditEvent.findMany({
    where: before ? { seq: { lt: before } } : undefined,
    orderBy: { seq: "desc" },
    take: take + 1,
    select: { seq: true, at: true, actorName: true, actorRole: true, action: true, outcome: true, computerName: true, sessionName: true, error: true, params: true },
  });
  const page = rows.slice(0, take).map((r): TAuditRow => ({ ...r, at: r.at.toISOString() }));
  return { rows: page, nextBefore: rows.length > take ? page[page.length - 1].seq : null };
}
