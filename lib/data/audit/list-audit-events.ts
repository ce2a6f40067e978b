import "server-only";
import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { assertAuditReader } from "@/lib/data/audit/access";
import { auditWhere, keysetWhere, NEWEST_FIRST, OLDEST_FIRST } from "@/lib/data/audit/audit-where";
import { AUDIT_DEFAULT_PAGE_SIZE, ZAuditQuery, type TAuditQuery } from "@/lib/data/audit/schemas";

export type TAuditRow = {
  seq: number;
  at: string; // ISO
  actorId: string | null;
  actorName: string;
  actorRole: string;
  action: string;
  outcome: string;
  computerName: string | null;
  sessionId: string | null;
  sessionName: string | null;
  error: string | null;
  params: string; // JSON text, as hashed
  hash: string;
};

/** One page, newest first. `older`/`newer` are the cursors for the next pages, null at either end. */
export type TAuditPage = { rows: TAuditRow[]; older: number | null; newer: number | null };

const rowSelect = {
  seq: true,
  at: true,
  actorId: true,
  actorName: true,
  actorRole: true,
  action: true,
  outcome: true,
  computerName: true,
  sessionId: true,
  sessionName: true,
  error: true,
  params: true,
  hash: true,
} satisfies Prisma.AuditEventSelect;

const toRow = (r: Prisma.AuditEventGetPayload<{ select: typeof rowSelect }>): TAuditRow => ({ ...r, at: r.at.toISOString() });

async function cursorEvent(seq: number, param: "before" | "after") {
  const row = await db.auditEvent.findUnique({ where: { seq }, select: { seq: true, at: true } });
  if (!row) throw new AppError("INVALID_INPUT", `The parameter “${param}” names event #${seq}, which does not exist.`);
  return row;
}

/**
 * The filtered audit trail, newest first, keyset-paged: `before` = the last seq of the page
 * being left (Older), `after` = its first seq (Newer). Never OFFSET, so page 20,000 costs what
 * page 1 costs. Auditors and admins only.
 */
export async function listAuditEvents({ actor, query: raw = {} }: { actor: TSessionUser; query?: Partial<TAuditQuery> }): Promise<TAuditPage> {
  assertAuditReader(actor);
  const parsed = ZAuditQuery.safeParse({ size: AUDIT_DEFAULT_PAGE_SIZE, ...raw });
  if (!parsed.success) throw new AppError("INVALID_INPUT", parsed.error.issues.map((i) => `${String(i.path[0] ?? "query")}: ${i.message}`).join("; "));
  const query = parsed.data;
  const size = query.size;
  const where = await auditWhere(query);
  const exists = async (extra: Prisma.AuditEventWhereInput) =>
    (await db.auditEvent.findFirst({ where: { AND: [where, extra] }, select: { seq: true } })) !== null;

  if (query.after !== undefined) {
    const cursor = await cursorEvent(query.after, "after");
    const found = await db.auditEvent.findMany({ where: { AND: [where, keysetWhere(cursor, "newer")] }, orderBy: OLDEST_FIRST, take: size + 1, select: rowSelect });
    const rows = found.slice(0, size).reverse().map(toRow);
    const last = rows.at(-1);
    // Empty only when the link was edited or the filters changed under it: the page offers "newest".
    if (!last) return { rows, older: null, newer: null };
    const hasOlder = await exists(keysetWhere({ seq: last.seq, at: new Date(last.at) }, "older"));
    return { rows, newer: found.length > size ? rows[0].seq : null, older: hasOlder ? last.seq : null };
  }

  const cursor = query.before !== undefined ? await cursorEvent(query.before, "before") : null;
  const found = await db.auditEvent.findMany({
    where: cursor ? { AND: [where, keysetWhere(cursor, "older")] } : where,
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: rowSelect,
  });
  const rows = found.slice(0, size).map(toRow);
  const first = rows[0];
  if (!first) return { rows, older: null, newer: null };
  const hasNewer = cursor ? await exists(keysetWhere({ seq: first.seq, at: new Date(first.at) }, "newer")) : false;
  return { rows, older: found.length > size ? rows[rows.length - 1].seq : null, newer: hasNewer ? first.seq : null };
}
