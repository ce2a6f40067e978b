import { z } from "zod";
import { appendAuditEvents } from "@/lib/audit/append";
import { cluster, CLAIM_TTL_MS, RENEW_EVERY_MS, type TCluster } from "@/lib/cluster/cluster";
import { BULK_OPERATIONS, type TBulkOperation, type TBulkOutcome } from "@/lib/dto/sessions";
import { logger } from "@/lib/logger";
import { publish } from "@/lib/realtime/publish";

// Bulk jobs across console instances. A job runs on the instance that started it, in its memory
// (lib/sessions/bulk.ts); in a cluster it is also registered in Redis with its owner instance and
// the targets whose outcome is not yet committed. Every instance renews a heartbeat key; every
// instance sweeps: a running job whose owner's heartbeat lapsed (SIGKILL, crash, lost network)
// is claimed by one sweeper, and each of its unfinished targets ends with an outcome,
// "interrupted", audited in the one chain and pushed to the job's user like any progress.

export const INTERRUPTED =
  "Interrupted: the console instance running this job stopped before this session's outcome was recorded. The session may or may not have been changed: look at it, and act again if needed.";

const ZJobMeta = z.object({
  owner: z.string(),
  operation: z.enum(BULK_OPERATIONS),
  total: z.number().int(),
  actor: z.object({ id: z.string(), name: z.string(), role: z.string() }),
});
const ZTarget = z.object({ sessionId: z.string(), name: z.string(), computerName: z.string() });
type TTarget = z.infer<typeof ZTarget>;

const keys = (c: TCluster) => ({
  running: `${c.prefix}:bulk:running`,
  job: (id: string) => `${c.prefix}:bulk:job:${id}`,
  pending: (id: string) => `${c.prefix}:bulk:pending:${id}`,
  done: (id: string) => `${c.prefix}:bulk:done:${id}`,
  claim: (id: string) => `${c.prefix}:bulk:claim:${id}`,
  alive: (instanceId: string) => `${c.prefix}:instance:${instanceId}`,
});

/** Registers a job this instance starts; a no-op when the console runs alone. */
export async function registerClusterJob(job: { jobId: string; operation: TBulkOperation; actor: { id: string | null; name: string; role: string }; targets: TTarget[] }): Promise<void> {
  const c = cluster();
  if (!c) return;
  const k = keys(c);
  const meta = { owner: c.instanceId, operation: job.operation, total: job.targets.length, actor: job.actor };
  const multi = c.redis.multi().set(k.job(job.jobId), JSON.stringify(meta));
  if (job.targets.length) multi.hSet(k.pending(job.jobId), Object.fromEntries(job.targets.map((t) => [t.sessionId, JSON.stringify(t)])));
  await multi.sAdd(k.running, job.jobId).exec();
}

/** Targets whose outcomes (and audit events) are committed: no longer the sweeper's to end. */
export async function settleClusterTargets(jobId: string, sessionIds: string[]): Promise<void> {
  const c = cluster();
  if (!c || sessionIds.length === 0) return;
  const k = keys(c);
  await c.redis.multi().hDel(k.pending(jobId), sessionIds).incrBy(k.done(jobId), sessionIds.length).exec();
}

export async function finishClusterJob(jobId: string): Promise<void> {
  const c = cluster();
  if (!c) return;
  const k = keys(c);
  await c.redis.multi().sRem(k.running, jobId).del([k.job(jobId), k.pending(jobId), k.done(jobId)]).exec();
}

/**
 * server.ts: this instance's heartbeat (others read it to tell a live job owner from a dead one)
 * and the sweep for jobs whose owner died. Returns a stop function.
 */
export function startBulkJobWatch(c: TCluster): () => Promise<void> {
  const k = keys(c);
  const beat = () => c.redis.set(k.alive(c.instanceId), "1", { expiration: { type: "PX", value: CLAIM_TTL_MS } });
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await beat();
      await sweepInterruptedJobs(c);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "bulk job sweep failed; retried");
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), RENEW_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await c.redis.del(k.alive(c.instanceId)).catch(() => undefined);
  };
}

/** Ends every unfinished target of jobs whose owner instance is gone. Returns how many jobs it ended. */
export async function sweepInterruptedJobs(c: TCluster): Promise<number> {
  const k = keys(c);
  let ended = 0;
  for (const jobId of await c.redis.sMembers(k.running)) {
    const raw = await c.redis.get(k.job(jobId));
    if (!raw) {
      await c.redis.sRem(k.running, jobId);
      continue;
    }
    const meta = ZJobMeta.parse(JSON.parse(raw));
    if (meta.owner === c.instanceId || (await c.redis.exists(k.alive(meta.owner)))) continue;
    // One sweeper per job, even when several instances notice at once.
    const claimed = await c.redis.set(k.claim(jobId), c.instanceId, { condition: "NX", expiration: { type: "PX", value: 60_000 } });
    if (claimed !== "OK") continue;
    const targets = Object.values(await c.redis.hGetAll(k.pending(jobId))).map((t) => ZTarget.parse(JSON.parse(t)));
    const done = Number((await c.redis.get(k.done(jobId))) ?? 0);
    await appendAuditEvents(
      targets.map((t) => ({
        actor: meta.actor,
        action: `session.${meta.operation}`,
        outcome: "error" as const,
        sessionId: t.sessionId,
        sessionName: t.name,
        computerName: t.computerName,
        params: { bulkJobId: jobId, interrupted: true, stoppedInstance: meta.owner, endedBy: c.instanceId },
        error: INTERRUPTED,
      })),
    );
    const outcomes: TBulkOutcome[] = targets.map((t) => ({ ...t, ok: false, state: null, error: INTERRUPTED }));
    publish({ type: "bulk.progress", jobId, operation: meta.operation, total: meta.total, done: done + targets.length, outcomes, finished: true }, { users: [meta.actor.id] });
    await finishClusterJob(jobId);
    logger.warn({ jobId, stoppedInstance: meta.owner, interrupted: targets.length }, "bulk job of a stopped console instance ended");
    ended++;
  }
  return ended;
}
