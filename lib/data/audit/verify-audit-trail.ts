import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { verifyAuditChain, type TVerifyResult } from "@/lib/audit/verify";
import { assertAuditReader } from "@/lib/data/audit/access";

export type TAuditVerification = TVerifyResult & { checkedAt: string; durationMs: number };

// A full verification reads every event (seconds at a million). Auditors who open the page
// together share the one that is running instead of each starting another.
const g = globalThis as typeof globalThis & { __batonAuditVerify?: Promise<TAuditVerification> };

export async function verifyAuditTrail({ actor }: { actor: TSessionUser }): Promise<TAuditVerification> {
  assertAuditReader(actor);
  g.__batonAuditVerify ??= (async () => {
    const started = performance.now();
    try {
      const result = await verifyAuditChain();
      return { ...result, checkedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started) };
    } finally {
      g.__batonAuditVerify = undefined;
    }
  })();
  return g.__batonAuditVerify;
}
