import { db } from "@/lib/db/client";
import { env, isPostgresUrl } from "@/lib/env";
import { logger } from "@/lib/logger";
import { eventHash, GENESIS_HASH } from "@/lib/audit/chain";
import { publish } from "@/lib/realtime/publish";

export type TAuditOutcome = "ok" | "refused" | "error";
export type TAuditInput = {
  actor: { id: string | null; name: string; role: string };
  action: string;
  outcome: TAuditOutcome;
  computerName?: string | null;
  sessionId?: string | null;
  sessionName?: string | null;
  params?: Record<string, unknown>;
  error?: string | null;
};

const SECRET_KEYS = /pass(word)?|token|secret|cookie|authorization/i;
const MAX_PARAMS = 4000;

// Parameters are kept for auditors, minus anything that looks like a credential.
export function redactParams(params: Record<string, unknown> | undefined): string {
  if (!params) return "{}";
  const json = JSON.stringify(params, (key, value) => (key && SECRET_KEYS.test(key) ? "[redacted]" : value));
  return json.length > MAX_PARAMS ? JSON.stringify({ truncated: true, head: json.slice(0, MAX_PARAMS) }) : json;
}

// Appends one event to the chain. prevHash is unique, so two writers racing for the same
// predecessor cannot both win: the loser re-reads the tail and tries again.
export async function appendAuditEvent(input: TAuditInput): Promise<{ seq: number; hash: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const appended = await db.$transaction(async (tx) => {
        // PostgreSQL: appenders queue on one transaction-scoped lock (across console instances
        // too) instead of racing for the tail. SQLite already serialises writers.
        if (isPostgresUrl(env().DATABASE_URL)) await tx.$executeRawUnsafe("SELECT 1 FROM pg_advisory_xact_lock(7242001)");
        const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
        const fields = {
          seq: (last?.seq ?? 0) + 1,
          at: new Date(),
          actorId: input.actor.id,
          actorName: input.actor.name,
          actorRole: input.actor.role,
          action: input.action,
          outcome: input.outcome,
          computerName: input.computerName ?? null,
          sessionId: input.sessionId ?? null,
          sessionName: input.sessionName ?? null,
          params: redactParams(input.params),
          error: input.error ?? null,
        };
        const prevHash = last?.hash ?? GENESIS_HASH;
        const hash = eventHash(prevHash, fields);
        await tx.auditEvent.create({ data: { ...fields, prevHash, hash } });
        return { seq: fields.seq, hash };
      });
      // After the commit: an auditor's page never hears of an event it cannot read yet.
      publish({ type: "audit.appended", seq: appended.seq }, { roles: ["auditor", "admin"] });
      return appended;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code === "P2002" || code === "P2034") && attempt < 20) continue;
      logger.error({ err, action: input.action }, "audit append failed");
      throw err;
    }
  }
}
