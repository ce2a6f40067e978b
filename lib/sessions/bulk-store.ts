import { db, sqlPlaceholders } from "@/lib/db/client";
import type { TBulkOperation, TBulkOutcome, TSessionStateName } from "@/lib/dto/sessions";
import type { TOutputBufferingMode } from "@/lib/protocol";
import { chunked } from "@/lib/utils/chunked";

// Bulk jobs in the database (BulkJob, BulkJobTarget): the job's row when it starts (with every
// target, no outcome yet) and when it finishes; its outcomes a batch at a time, in the rhythm of
// its audit commits (lib/sessions/bulk.ts). Read by the Jobs view and the API on any console
// instance, after any restart. No "server-only": server.ts's start-up sweep reaches it too.

/** A job's kept history: each user's newest jobs, none older than this (the audit trail keeps everything). */
export const KEEP_JOBS_PER_USER = 200;
export const KEEP_JOBS_DAYS = 30;
/** Rows per INSERT: 9,000 bound values, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;
/** Ids per `IN` (SQLite refuses more than 999 bound values in some of Prisma's statements). */
const ID_CHUNK = 500;

export type TJobTarget = { sessionId: string; name: string; computerName: string };
export type TJobStart = {
  id: string;
  actor: { id: string; name: string; role: string };
  operation: TBulkOperation;
  options: { throttleLimit: number; idleTimeoutSec?: number; outputBufferingMode?: TOutputBufferingMode };
  startedAt: Date;
  /** The console instance running it (lib/cluster/cluster.ts consoleInstanceId). */
  owner: string;
};
/** An outcome with its target's place in the job. */
export type TPlacedOutcome = TBulkOutcome & { position: number };

const TARGET_COLUMNS = ["jobId", "position", "sessionId", "name", "computerName", "ok", "state", "error", "cancelled"] as const;
const jobSelect = {
  id: true,
  actorId: true,
  actorName: true,
  actorRole: true,
  operation: true,
  throttleLimit: true,
  idleTimeoutSec: true,
  outputBufferingMode: true,
  total: true,
  startedAt: true,
  finishedAt: true,
  cancelled: true,
  owner: true,
} as const;
const findJob = (jobId: string) => db.bulkJob.findUnique({ where: { id: jobId }, select: jobSelect });
export type TJobRow = Omit<NonNullable<Awaited<ReturnType<typeof findJob>>>, "operation" | "outputBufferingMode"> & { operation: TBulkOperation; outputBufferingMode: TOutputBufferingMode | null };
type TTargetRow = TJobTarget & { position: number; ok?: boolean | null; state?: string | null; error?: string | null; cancelled?: boolean };

function insertTargets(q: Pick<typeof db, "$executeRawUnsafe">, jobId: string, rows: readonly TTargetRow[], upsert: boolean) {
  return chunked(rows, ROWS_PER_INSERT).map((chunk) => {
    const p = sqlPlaceholders();
    const values = chunk.map(() => `(${TARGET_COLUMNS.map(() => p()).join(", ")})`).join(", ");
    // An outcome lands on its target's row (written when the job started): one statement per
    // batch, on both databases (INSERT … ON CONFLICT DO UPDATE), instead of one UPDATE per target.
    const onConflict = upsert ? ` ON CONFLICT ("jobId", "position") DO UPDATE SET "ok" = excluded."ok", "state" = excluded."state", "error" = excluded."error", "cancelled" = excluded."cancelled"` : "";
    const args = chunk.flatMap((r) => [jobId, r.position, r.sessionId, r.name, r.computerName, r.ok ?? null, r.state ?? null, r.error ?? null, r.cancelled ?? false]);
    return () => q.$executeRawUnsafe(`INSERT INTO "BulkJobTarget" (${TARGET_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ${values}${onConflict}`, ...args);
  });
}

/** The job's row and every target's (without outcome), in one transaction: all on record before any agent is asked. */
export async function recordJobStart(job: TJobStart, targets: readonly TJobTarget[]): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.bulkJob.create({
      data: {
        id: job.id,
        actorId: job.actor.id,
        actorName: job.actor.name,
        actorRole: job.actor.role,
        operation: job.operation,
        throttleLimit: job.options.throttleLimit,
        idleTimeoutSec: job.options.idleTimeoutSec ?? null,
        outputBufferingMode: job.options.outputBufferingMode ?? null,
        total: targets.length,
        startedAt: job.startedAt,
        owner: job.owner,
      },
      select: { id: true },
    });
    for (const insert of insertTargets(tx, job.id, targets.map((t, position) => ({ ...t, position })), false)) await insert();
  });
}

/** A batch of outcomes, in one statement (a batch is at most a few hundred; more go 1,000 a statement). */
export async function recordOutcomes(jobId: string, outcomes: readonly TPlacedOutcome[]): Promise<void> {
  for (const insert of insertTargets(db, jobId, outcomes, true)) await insert();
}

/** Marks the job finished; false when it already was (someone else ended it). */
export async function recordJobFinish(jobId: string, at: { finishedAt: Date; cancelled: boolean }): Promise<boolean> {
  const { count } = await db.bulkJob.updateMany({ where: { id: jobId, finishedAt: null }, data: at });
  return count === 1;
}

export async function readJob(jobId: string): Promise<TJobRow | null> {
  return (await findJob(jobId)) as TJobRow | null;
}

/** This user's newest jobs, newest first. */
export async function readJobsOf(actorId: string, take: number): Promise<TJobRow[]> {
  return (await db.bulkJob.findMany({ where: { actorId }, orderBy: { startedAt: "desc" }, take, select: jobSelect })) as TJobRow[];
}

/** The outcomes recorded so far of each job, in the job's order. */
export async function readOutcomes(jobIds: readonly string[]): Promise<Map<string, TBulkOutcome[]>> {
  const byJob = new Map<string, TBulkOutcome[]>(jobIds.map((id) => [id, []]));
  for (const chunk of chunked(jobIds, ID_CHUNK)) {
    const rows = await db.bulkJobTarget.findMany({
      where: { jobId: { in: chunk }, ok: { not: null } },
      orderBy: [{ jobId: "asc" }, { position: "asc" }],
      select: { jobId: true, sessionId: true, name: true, computerName: true, ok: true, state: true, error: true, cancelled: true },
    });
    for (const r of rows) byJob.get(r.jobId)!.push({ sessionId: r.sessionId, name: r.name, computerName: r.computerName, ok: r.ok!, state: r.state as TSessionStateName | null, error: r.error, ...(r.cancelled ? { cancelled: true as const } : {}) });
  }
  return byJob;
}

/** The targets of a job with no outcome recorded yet, in the job's order. */
export async function targetsWithoutOutcome(jobId: string): Promise<(TJobTarget & { position: number })[]> {
  return db.bulkJobTarget.findMany({ where: { jobId, ok: null }, orderBy: { position: "asc" }, select: { position: true, sessionId: true, name: true, computerName: true } });
}

/** Jobs on record as running whose runner is not `owner` (this process). */
export async function unfinishedJobsNotOf(owner: string): Promise<TJobRow[]> {
  return (await db.bulkJob.findMany({ where: { finishedAt: null, owner: { not: owner } }, orderBy: { startedAt: "asc" }, select: jobSelect })) as TJobRow[];
}

/**
 * Retention: a user's finished jobs beyond their KEEP_JOBS_PER_USER newest, and every finished
 * job started more than KEEP_JOBS_DAYS ago, are deleted with their targets (a user's when their
 * job finishes, everyone's at start-up: both walk an index range). Returns how many jobs went.
 */
export async function pruneJobs(opts: { actorId?: string; now?: Date } = {}): Promise<number> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - KEEP_JOBS_DAYS * 86_400_000);
  const ids = new Set<string>();
  const old = await db.bulkJob.findMany({ where: { actorId: opts.actorId, startedAt: { lt: cutoff }, finishedAt: { not: null } }, select: { id: true } });
  for (const j of old) ids.add(j.id);
  if (opts.actorId) {
    const beyond = await db.bulkJob.findMany({ where: { actorId: opts.actorId, finishedAt: { not: null } }, orderBy: { startedAt: "desc" }, skip: KEEP_JOBS_PER_USER, select: { id: true } });
    for (const j of beyond) ids.add(j.id);
  }
  for (const chunk of chunked([...ids], ID_CHUNK)) {
    // Targets first: the schema's cascade needs SQLite's foreign keys on, which is not promised.
    await db.$transaction([db.bulkJobTarget.deleteMany({ where: { jobId: { in: chunk } } }), db.bulkJob.deleteMany({ where: { id: { in: chunk } } })]);
  }
  return ids.size;
}
