import "server-only";
import { db } from "@/lib/db/client";
import { fleet } from "@/lib/fleet/fleet";
import { pendingOutcomeCount } from "@/lib/actions/intents";
import { redisReadiness } from "@/lib/cluster/readiness";

// What /readyz reports to a load balancer: a list of checks, each a name and a function, so
// another dependency (Redis for several consoles) is one more entry. A check that is `required`
// and fails makes the instance not ready (503); the others only inform. No secrets: no URLs,
// hosts or error texts from drivers, only what failed.
export type TCheckResult = { ok: boolean; [detail: string]: unknown };
export type TReadinessCheck = { name: string; required: boolean; run: () => Promise<TCheckResult> };

const TIMEOUT_MS = 2000;

export const databaseCheck: TReadinessCheck = {
  name: "database",
  required: true,
  run: async () => {
    const t0 = performance.now();
    await db.$queryRawUnsafe("SELECT 1");
    return { ok: true, ms: Math.round(performance.now() - t0), unrecordedOutcomes: pendingOutcomeCount() };
  },
};

export const agentsCheck: TReadinessCheck = {
  name: "agents",
  // Computers come and go; the console still serves (their sessions read Broken) without them.
  required: false,
  run: async () => {
    const counts = { online: 0, offline: 0, connecting: 0 };
    for (const link of fleet().all()) counts[link.status === "online" ? "online" : link.status === "connecting" ? "connecting" : "offline"]++;
    return { ok: counts.offline === 0 && counts.connecting === 0, ...counts };
  },
};

export const redisCheck: TReadinessCheck = {
  name: "redis",
  // Several console instances (REDIS_URL) fan events out and hold ingest leases through Redis:
  // without it such an instance is not ready. An instance alone uses none.
  required: true,
  run: async () => {
    const r = await redisReadiness();
    if (!r) return { ok: true, used: false };
    return r.ok ? { ok: true, used: true, ms: Number.parseInt(r.detail.replace(/^\D*/, ""), 10) || 0 } : { ok: false, used: true, error: "Redis did not answer" };
  },
};

export const readinessChecks: TReadinessCheck[] = [databaseCheck, redisCheck, agentsCheck];

async function runCheck(check: TReadinessCheck): Promise<TCheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(),
      new Promise<TCheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${TIMEOUT_MS} ms` }), TIMEOUT_MS);
      }),
    ]);
  } catch {
    return { ok: false, error: "unavailable" };
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(checks: readonly TReadinessCheck[] = readinessChecks): Promise<{ ready: boolean; checks: Record<string, TCheckResult> }> {
  const results = await Promise.all(checks.map(runCheck));
  return {
    ready: checks.every((c, i) => !c.required || results[i].ok),
    checks: Object.fromEntries(checks.map((c, i) => [c.name, results[i]])),
  };
}
