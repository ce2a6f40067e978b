import { z } from "zod";
import { appendAuditEvents } from "@/lib/audit/append";
import { cluster, CLAIM_TTL_MS, consoleInstanceId, RENEW_EVERY_MS, type TCluster } from "@/lib/cluster/cluster";
import { db } from "@/lib/db/client";
import { BULK_OPERATIONS, type TBulkOperation, type TBulkOutcome } from "@/lib/dto/sessions";
import { logger } from "@/lib/logger";
import { publish } from "@/lib/realtime/publish";
import { pruneJobs, readJob, recordJobFinish, recordOutcomes, targetsWithoutOutcome, unfinishedJobsNotOf, type TPlacedOutcome } from "@/lib/sessions/bulk-store";
import { chunked } from "@/lib/utils/chunked";

// Bulk jobs across console instances. A job runs on the instance that started it, in its memory
// (lib/sessions/bulk.ts); in a cluster it is also registered in Redis with its owner instance and
// the targets whose outcome is not yet committed. Every instance renews a heartbeat key; every
// instance sweeps: a running job whose owner's heartbeat lapsed (SIGKILL, crash, lost network)
// is claimed by one sweeper, and each of its unfinished targets ends with an outcome,
// "interrupted", audited in the one chain and pushed to the job's user like any progress.
// The database (BulkJob, lib/sessions/bulk-store.ts) says which targets have no outcome yet and
// gets the job's end; a console running alone ends its previous run's unfinished jobs at start.

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
    await endInterruptedJob(jobId, { stoppedInstance: meta.owner, endedBy: c.instanceId }, { ...meta, targets, done });
    await finishClusterJob(jobId);
    ended++;
  }
  return ended;
}

/**
 * server.ts, at start: the jobs on record as running that no console runs any more (a console
 * running alone that crashed or was restarted mid-job) are ended as the cluster's sweep ends
 * them, and the kept history is pruned. In a cluster the sweep above is the authority: at start
 * only the jobs it cannot know of (not in Redis, their runner's heartbeat gone) are ended here.
 */
export async function endJobsOfStoppedConsoles(): Promise<number> {
  const c = cluster();
  const me = consoleInstanceId();
  let ended = 0;
  for (const job of await unfinishedJobsNotOf(me)) {
    if (c) {
      const k = keys(c);
      if ((await c.redis.sIsMember(k.running, job.id)) || (await c.redis.exists(k.alive(job.owner)))) continue;
    }
    if (await endInterruptedJob(job.id, { stoppedInstance: job.owner, endedBy: me })) ended++;
  }
  await pruneJobs();
  return ended;
}

/** What the cluster's record says of a job, for one started by a console that did not record it in the database. */
type TRedisOnly = z.infer<typeof ZJobMeta> & { targets: TTarget[]; done: number };

/**
 * Ends a job whose runner stopped: each target without an outcome on record ends "interrupted",
 * audited once, and a target whose audit event the runner committed just before it stopped
 * keeps that outcome (not audited again: a second sweep after a crash of this one audits
 * nothing twice). The outcomes and the job's end go to the database, the job's user is told.
 * False when there was nothing to end (finished, or unknown).
 */
export async function endInterruptedJob(jobId: string, by: { stoppedInstance: string; endedBy: string }, redisOnly?: TRedisOnly): Promise<boolean> {
  const job = await readJob(jobId);
  if (!job && !redisOnly) return false;
  if (job?.finishedAt) return false;
  const operation = job?.operation ?? redisOnly!.operation;
  const actor = job ? { id: job.actorId, name: job.actorName, role: job.actorRole } : redisOnly!.actor;
  const total = job?.total ?? redisOnly!.total;
  // A job of a console from before jobs were kept in the database: its targets are the cluster's.
  const targets: (TTarget & { position: number })[] = job ? await targetsWithoutOutcome(jobId) : redisOnly!.targets.map((t, position) => ({ ...t, position }));
  const settled = job ? await auditedOutcomes(jobId, operation, job.startedAt, targets) : new Map<string, TBulkOutcome>();
  const interrupted = targets.filter((t) => !settled.has(t.sessionId));
  await appendAuditEvents(
    interrupted.map((t) => ({
      actor,
      action: `session.${operation}`,
      outcome: "error" as const,
      sessionId: t.sessionId,
      sessionName: t.name,
      computerName: t.computerName,
      params: { bulkJobId: jobId, interrupted: true, stoppedInstance: by.stoppedInstance, endedBy: by.endedBy },
      error: INTERRUPTED,
    })),
  );
  const outcomes: TPlacedOutcome[] = targets.map((t) => ({ ...(settled.get(t.sessionId) ?? { ...t, ok: false, state: null, error: INTERRUPTED }), position: t.position }));
  if (job) {
    await recordOutcomes(jobId, outcomes);
    await recordJobFinish(jobId, { finishedAt: new Date(), cancelled: false });
  }
  const done = job ? total : redisOnly!.done + targets.length;
  publish({ type: "bulk.progress", jobId, operation, total, done, outcomes: outcomes.map(({ position: _, ...o }) => o), finished: true }, { users: [actor.id] });
  logger.warn({ jobId, stoppedInstance: by.stoppedInstance, interrupted: interrupted.length, recovered: settled.size }, "bulk job of a stopped console instance ended");
  return true;
}

/** The outcomes of these targets that the job's runner audited (its audit events name the job) before it stopped. */
async function auditedOutcomes(jobId: string, operation: TBulkOperation, startedAt: Date, targets: readonly TTarget[]): Promise<Map<string, TBulkOutcome>> {
  const byId = new Map(targets.map((t) => [t.sessionId, t]));
  const found = new Map<string, TBulkOutcome>();
  for (const chunk of chunked([...byId.keys()], 500)) {
    const events = await db.auditEvent.findMany({
      // The session's own index range, from the job's start (a minute early: clocks of instances differ).
      where: { sessionId: { in: chunk }, action: `session.${operation}`, at: { gte: new Date(startedAt.getTime() - 60_000) }, params: { contains: `"bulkJobId":"${jobId}"` } },
      select: { sessionId: true, outcome: true, error: true, params: true },
    });
    for (const e of events) {
      // A target the job skipped once cancelled is audited with "cancelled": true in its parameters.
      const cancelled = e.outcome !== "ok" && (JSON.parse(e.params) as { cancelled?: unknown }).cancelled === true;
      found.set(e.sessionId!, { ...byId.get(e.sessionId!)!, ok: e.outcome === "ok", state: null, error: e.error, ...(cancelled ? { cancelled: true as const } : {}) });
    }
  }
  return found;
}
