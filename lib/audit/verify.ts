import { db } from "@/lib/db/client";
import { eventHash, GENESIS_HASH } from "@/lib/audit/chain";

export type TVerifyResult =
  | { ok: true; count: number; headHash: string }
  | { ok: false; count: number; brokenAt: number; reason: string };

// Walks the whole chain in seq order, in pages, and names the first link that does not hold.
export async function verifyAuditChain({ pageSize = 5000 }: { pageSize?: number } = {}): Promise<TVerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: pageSize,
    });
    if (rows.length === 0) return { ok: true, count, headHash: prevHash };
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        return { ok: false, count, brokenAt: expectedSeq, reason: `event #${expectedSeq} is missing (next present is #${row.seq})` };
      }
      if (row.prevHash !== prevHash) {
        return { ok: false, count, brokenAt: row.seq, reason: `event #${row.seq} does not follow event #${row.seq - 1} (prevHash differs)` };
      }
      if (eventHash(prevHash, row) !== row.hash) {
        return { ok: false, count, brokenAt: row.seq, reason: `event #${row.seq} was modified (its content no longer matches its hash)` };
      }
      prevHash = row.hash;
      expectedSeq++;
      count++;
    }
  }
}
