import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { assertAuditReader } from "@/lib/data/audit/access";
import { KNOWN_AUDIT_ACTIONS } from "@/lib/data/audit/schemas";

const MAX_ACTIONS = 300;

/**
 * Every action name the trail holds, plus the ones the console can write: the action filter's
 * choices. A skip scan over the (action, at) index (one index seek per distinct action, on
 * SQLite and PostgreSQL alike) rather than SELECT DISTINCT, which reads every row.
 */
export async function listAuditActions({ actor }: { actor: TSessionUser }): Promise<string[]> {
  assertAuditReader(actor);
  const found = await db.$queryRaw<{ action: string | null }[]>`
    WITH RECURSIVE a(action, n) AS (
      SELECT (SELECT MIN("action") FROM "AuditEvent"), 1
      UNION ALL
      SELECT (SELECT MIN("action") FROM "AuditEvent" WHERE "action" > a.action), a.n + 1 FROM a WHERE a.action IS NOT NULL AND a.n < ${MAX_ACTIONS}
    )
    SELECT action FROM a WHERE action IS NOT NULL`;
  return [...new Set([...KNOWN_AUDIT_ACTIONS, ...found.map((r) => r.action).filter((a): a is string => !!a)])].sort();
}
