import "server-only";
import type { TChainFields } from "@/lib/audit/chain";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { assertAuditReader } from "@/lib/data/audit/access";
import { auditWhere, keysetWhere, NEWEST_FIRST } from "@/lib/data/audit/audit-where";
import { csvRow } from "@/lib/data/audit/csv";
import type { TAuditFilters } from "@/lib/data/audit/schemas";

/** Every field the hash covers plus both hashes and the MAC, so an export can be re-verified elsewhere. */
export const AUDIT_EXPORT_COLUMNS = [
  "seq",
  "at",
  "actorId",
  "actorName",
  "actorRole",
  "action",
  "outcome",
  "computerName",
  "sessionId",
  "sessionName",
  "params",
  "error",
  "prevHash",
  "hash",
  "keyId",
  "mac",
] as const;

/** The chain's own fields (lib/audit/chain.ts), with the time as ISO text, both hashes and the MAC (null on legacy events). */
export type TAuditExportRow = Omit<TChainFields, "at"> & { at: string; prevHash: string; hash: string; keyId: string | null; mac: string | null };

/**
 * The whole filtered set, newest first, one keyset page at a time: memory stays at one batch
 * however many events match, and each batch is a short index range read.
 */
export async function* auditEventsForExport({ actor, filters, batch = 1000 }: { actor: TSessionUser; filters: TAuditFilters; batch?: number }): AsyncGenerator<TAuditExportRow[]> {
  assertAuditReader(actor);
  const where = await auditWhere(filters);
  let cursor: { seq: number; at: Date } | null = null;
  for (;;) {
    const rows: (Omit<TAuditExportRow, "at"> & { at: Date })[] = await db.auditEvent.findMany({
      where: cursor ? { AND: [where, keysetWhere(cursor, "older")] } : where,
      orderBy: NEWEST_FIRST,
      take: batch,
    });
    if (rows.length === 0) return;
    yield rows.map((r) => ({ ...r, at: r.at.toISOString() }));
    if (rows.length < batch) return;
    const last = rows[rows.length - 1];
    cursor = { seq: last.seq, at: last.at };
  }
}

export const auditCsvHeader = () => csvRow(AUDIT_EXPORT_COLUMNS);
export const auditCsvRow = (r: TAuditExportRow) => csvRow(AUDIT_EXPORT_COLUMNS.map((c) => r[c]));
