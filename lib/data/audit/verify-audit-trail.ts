import "server-only";
import { z } from "zod";
import type { TSessionUser } from "@/lib/auth/session-store";
import { verifyAuditChain, type TVerifyMode, type TVerifyResult } from "@/lib/audit/verify";
import { assertAuditReader } from "@/lib/data/audit/access";
import { AppError } from "@/lib/errors";

export type TAuditVerification = TVerifyResult & { checkedAt: string; durationMs: number };

/** `?mode=` of /api/audit/verify: the full walk (default) or the routine check since the newest checkpoint. */
export const ZAuditVerifyMode = z.enum(["full", "since-checkpoint"]) satisfies z.ZodType<TVerifyMode>;

export function parseAuditVerifyMode(value: string | null): TVerifyMode {
  const parsed = ZAuditVerifyMode.safeParse(value ?? "full");
  if (!parsed.success) throw new AppError("INVALID_INPUT", `The parameter “mode” (“${String(value).slice(0, 20)}”) must be full or since-checkpoint.`);
  return parsed.data;
}

// A full verification reads every event (seconds at a million). Auditors who open the page
// together share the run of the same mode that is under way instead of each starting another.
const g = globalThis as typeof globalThis & { __batonAuditVerify?: Partial<Record<TVerifyMode, Promise<TAuditVerification>>> };

export async function verifyAuditTrail({ actor, mode = "full" }: { actor: TSessionUser; mode?: TVerifyMode }): Promise<TAuditVerification> {
  assertAuditReader(actor);
  const running = (g.__batonAuditVerify ??= {});
  running[mode] ??= (async () => {
    const started = performance.now();
    try {
      const result = await verifyAuditChain({ mode });
      return { ...result, checkedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started) };
    } finally {
      running[mode] = undefined;
    }
  })();
  return running[mode];
}
