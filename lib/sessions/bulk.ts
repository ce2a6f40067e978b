import "server-only";
import { randomUUID } from "node:crypto";
import { assertAccessTokenActive } from "@/lib/auth/access-tokens";
import type { TSessionUser } from "@/lib/auth/session-store";
import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import { appendAuditEvents, auditActorOf, type TAuditInput } from "@/lib/audit/append";
import { db } from "@/lib/db/client";
import { sessionsWhere } from "@/lib/data/sessions/list-sessions";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { mayActOn, sessionRowSelect, viewOf, type TSessionRecord } from "@/lib/data/sessions/to-session-row";
import type { TBulkJobView, TBulkOperation, TBulkOutcome, TBulkProgress, TBulkReceivedView, TPreviewItem, TSessionSelectionFilters } from "@/lib/dto/sessions";
import { nameMatches } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { finishClusterJob, registerClusterJob, settleClusterTargets } from "@/lib/cluster/bulk-jobs";
import { consoleInstanceId } from "@/lib/cluster/cluster";
import { publish } from "@/lib/realtime/publish";
import { pruneJobs, readJob, readJobsOf, readOutcomes, recordJobFinish, recordJobStart, recordOutcomes, type TJobRow, type TPlacedOutcome } from "@/lib/sessions/bulk-store";
import { markHandoffAccepted } from "@/lib/sessions/handoff";
import { connectOnAgent, disconnectOnAgent, receiveOnAgent, removeOnAgent } from "@/lib/sessions/operations";
import { viewFor, type TOutputBufferingMode, type TSessionSnapshot } from "@/lib/protocol";
import { chunked } from "@/lib/utils/chunked";
import { mapWithConcurrency } from "@/lib/utils/map-with-concurrency";
import { nextRunShared } from "@/lib/utils/next-run-shared";

export const MAX_BULK_TARGETS = 10_000;
export const DEFAULT_THROTTLE_LIMIT = 32;

export type TBulkSelection = { sessionIds?: string[]; filters?: TSessionSelectionFilters };

/**
 * Ids per statement when reading a selection's records. Prisma loads the relations of
 * sessionRowSelect with one `IN` over the parent rows' ids, and refuses a statement with more
 * than 999 bound values on SQLite (P2029): a filter matching 1,000 sessions failed. So the
 * matching ids are read first (in the job's order), then their records a chunk at a time.
 */
const ID_CHUNK = 500;
const TARGET_ORDER = [{ computerName: "asc" }, { agentSessionId: "asc" }] as const;

export async function resolveTargets(actor: TSessionUser, selection: TBulkSelection): Promise<TSessionRecord[]> {
  if (!selection.sessionIds?.length && !selection.filters) throw new AppError("INVALID_INPUT", "Select sessions, or a filter, to act on.");
  const idsOf = (where: Prisma.SessionWhereInput, take?: number) => db.session.findMany({ where, select: { id: true, name: true, computerName: true, agentSessionId: true }, orderBy: [...TARGET_ORDER], take });
  let found: Awaited<ReturnType<typeof idsOf>>;
  if (selection.sessionIds?.length) {
    found = (await Promise.all(chunked([...new Set(selection.sessionIds)], ID_CHUNK).map((chunk) => idsOf({ AND: [visibleSessionsWhere(actor), { id: { in: chunk } }] })))).flat();
    // Each chunk came in the job's order (by computer, then the agent's session id); merged, they are put in it again.
    found.sort((a, b) => (a.computerName < b.computerName ? -1 : a.computerName > b.computerName ? 1 : a.agentSessionId - b.agentSessionId));
  } else {
    found = await idsOf(sessionsWhere(actor, selection.filters!), MAX_BULK_TARGETS + 1);
    // The database's LIKE also takes a `_` or `%` in the name pattern as a wildcard: `Build_*`
    // would select BuildX7 too. A job acts only on the sessions the pattern names.
    const pattern = selection.filters!.name;
    if (pattern) found = found.filter((f) => nameMatches(f.name, pattern));
  }
  if (found.length > MAX_BULK_TARGETS) throw new AppError("INVALID_INPUT", `That selection has more than ${MAX_BULK_TARGETS} sessions; narrow the filter.`);
  const byId = new Map<string, TSessionRecord>();
  for (const chunk of chunked(found.map((f) => f.id), ID_CHUNK)) {
    for (const r of (await db.session.findMany({ where: { id: { in: chunk } }, select: sessionRowSelect })) as TSessionRecord[]) byId.set(r.id, r);
  }
  // A session removed between the two reads is simply not a target.
  return found.flatMap((f) => byId.get(f.id) ?? []);
}

/** What each operation would do to a session, from the store's view (the agent still decides). */
export function predict(op: TBulkOperation, r: TSessionRecord, actor: TSessionUser): Pick<TPreviewItem, "resultingState" | "note"> {
  if (!mayActOn(actor, r)) return { resultingState: null, note: "not yours to act on: refused" };
  const view = viewOf(r, actor.id);
  const elsewhere = r.state === "Opened" && r.holderId !== actor.id;
  switch (op) {
    case "disconnect":
      if (r.state === "Disconnected") return { resultingState: "Disconnected", note: "already disconnected: no change" };
      if (elsewhere) return { resultingState: null, note: `attached to ${r.holderName ?? "another user"}: refused` };
      if (r.state === "Opened") return { resultingState: "Disconnected", note: r.runningCommand ? "its running command keeps running" : null };
      return { resultingState: null, note: `a ${r.state} session cannot be disconnected` };
    case "connect":
      if (r.state === "Opened" && !elsewhere) return { resultingState: "Opened", note: "already connected: no change" };
      if (elsewhere) return { resultingState: null, note: `attached to ${r.holderName ?? "another user"}: refused` };
      if (r.state === "Disconnected") return { resultingState: "Opened", note: null };
      return { resultingState: null, note: `a ${view.state} session cannot be connected` };
    case "receive":
      if (elsewhere) return { resultingState: null, note: `attached to ${r.holderName ?? "another user"}: refused` };
      if (r.state === "Opened") return { resultingState: "Opened", note: r.bufferedBytes ? `${r.bufferedBytes.toLocaleString("en-US")} bytes waiting` : "nothing waiting" };
      if (r.state === "Disconnected") return { resultingState: "Opened", note: r.bufferedBytes ? `connects; ${r.bufferedBytes.toLocaleString("en-US")} bytes waiting` : "connects; nothing waiting" };
      return { resultingState: null, note: `a ${view.state} session has nothing to receive` };
    case "remove":
      if (r.state === "Closed") return { resultingState: "Closed", note: "already closed: no change" };
      return { resultingState: "Closed", note: r.runningCommand ? `ends the running command: ${r.runningCommand.slice(0, 60)}` : "ends the shell and its processes" };
  }
}

export function previewOf(op: TBulkOperation, records: TSessionRecord[], actor: TSessionUser): TPreviewItem[] {
  return records.map((r) => ({
    sessionId: r.id,
    name: r.name,
    computerName: r.computer.name,
    state: viewOf(r, actor.id).state,
    ...predict(op, r, actor),
  }));
}

type TJobOptions = { throttleLimit: number; idleTimeoutSec?: number; outputBufferingMode?: TOutputBufferingMode };

/** One target's Receive output, kept with the job for its user to read afterwards. */
export type TBulkReceived = TBulkReceivedView;

// A job's parameters and outcomes are in the database (lib/sessions/bulk-store.ts), for any
// console instance and after any restart. The job itself (its cancel switch, its Receive output)
// lives in the memory of the process running it, kept a while after it ends, bounded: at most
// MAX_KEPT_JOBS jobs, RECEIVE_KEEP_BYTES of output per job (the newest bytes of each target when
// over, the rest still in the session's transcript). Output is not written to the database: it
// can be large, and the session's transcript has it.
const MAX_KEPT_JOBS = 50;
/** The Jobs view lists this many of the user's newest jobs (the database keeps more: KEEP_JOBS_PER_USER). */
export const LISTED_JOBS = 50;
const RECEIVE_KEEP_BYTES = 32 * 1024 * 1024;
const RECEIVE_KEEP_PER_TARGET = 1024 * 1024;
const MAX_WRITE_BATCH = 256;
const WRITE_GATHER_MS = 200;

type TBulkJob = {
  id: string;
  actorId: string;
  actorName: string;
  startedAt: Date;
  finishedAt: Date | null;
  options: TJobOptions;
  operation: TBulkOperation;
  total: number;
  outcomes: TBulkOutcome[];
  received: Map<string, TBulkReceived>;
  receivedBytes: number;
  finished: boolean;
  cancel: AbortController;
  done: Promise<TBulkOutcome[]>;
};
const g = globalThis as typeof globalThis & { __batonBulkJobs?: Map<string, TBulkJob>; __batonBulkOutcomes?: Map<string, TBulkOutcome[]> };
const jobs = () => (g.__batonBulkJobs ??= new Map());

function keep(job: TBulkJob): void {
  const all = jobs();
  all.set(job.id, job);
  for (const [id, j] of all) {
    if (all.size <= MAX_KEPT_JOBS) break;
    if (j.finished) all.delete(id);
  }
}

// Outcomes of finished jobs read from the database (run by another instance or an earlier run of
// this console): they never change once a job is finished, so the Jobs view's refreshes (one per
// progress push of a running job) read them once, not a few times a second.
const finishedOutcomes = () => (g.__batonBulkOutcomes ??= new Map<string, TBulkOutcome[]>());
async function outcomesOf(rows: readonly TJobRow[]): Promise<Map<string, TBulkOutcome[]>> {
  const cache = finishedOutcomes();
  const got = new Map<string, TBulkOutcome[]>();
  const toRead: string[] = [];
  for (const r of rows) {
    const live = jobs().get(r.id);
    if (live) got.set(r.id, [...live.outcomes]);
    else if (r.finishedAt && cache.has(r.id)) got.set(r.id, cache.get(r.id)!);
    else toRead.push(r.id);
  }
  for (const [id, outcomes] of await readOutcomes(toRead)) {
    got.set(id, outcomes);
    if (rows.find((r) => r.id === id)!.finishedAt) {
      cache.set(id, outcomes);
      if (cache.size > MAX_KEPT_JOBS) cache.delete(cache.keys().next().value!);
    }
  }
  return got;
}

/**
 * A job of this user's, from any console instance or run; null when unknown (or pruned) or
 * someone else's. `done` settles when it finishes if this process runs it, else it is null.
 */
export async function bulkJobOf(actor: TSessionUser, jobId: string): Promise<{ operation: TBulkOperation; total: number; outcomes: TBulkOutcome[]; finished: boolean; done: Promise<TBulkOutcome[]> | null } | null> {
  const job = jobs().get(jobId);
  if (job) return job.actorId === actor.id ? { operation: job.operation, total: job.total, outcomes: [...job.outcomes], finished: job.finished, done: job.done } : null;
  const row = await readJob(jobId);
  if (!row || row.actorId !== actor.id) return null;
  const outcomes = (await outcomesOf([row])).get(jobId)!;
  return { operation: row.operation, total: row.total, outcomes, finished: row.finishedAt !== null, done: null };
}

/**
 * This user's recent jobs, whichever console instance ran them (newest first, LISTED_JOBS of
 * them): parameters, who, progress and per-target outcomes (the "Jobs" view). Outcomes are the
 * committed ones; a job this process runs shows its live progress.
 */
export async function listBulkJobs(actor: TSessionUser): Promise<TBulkJobView[]> {
  const rows = await readJobsOf(actor.id, LISTED_JOBS);
  const outcomes = await outcomesOf(rows);
  return rows.map((r) => {
    const live = jobs().get(r.id);
    const o = outcomes.get(r.id) ?? [];
    return {
      jobId: r.id,
      operation: r.operation,
      actorName: r.actorName,
      startedAt: r.startedAt.toISOString(),
      finishedAt: (live ? live.finishedAt : r.finishedAt)?.toISOString() ?? null,
      throttleLimit: r.throttleLimit,
      idleTimeoutSec: r.idleTimeoutSec,
      outputBufferingMode: r.outputBufferingMode,
      total: r.total,
      done: o.length,
      finished: live ? live.finished : r.finishedAt !== null,
      cancelled: live ? live.cancel.signal.aborted : r.cancelled,
      outcomes: o,
      receivedSessions: live?.received.size ?? 0,
      outputKept: live !== undefined,
    };
  });
}

/** Why a job's output cannot be read here (not in this process's memory), in plain words. */
async function outputGone(actor: TSessionUser, jobId: string): Promise<AppError> {
  const row = await readJob(jobId);
  if (!row || row.actorId !== actor.id) return new AppError("NOT_FOUND", "No bulk job of yours with that id.");
  if (row.operation !== "receive") return new AppError("INVALID_INPUT", "Only a bulk Receive has output to read.");
  return new AppError(
    "NOT_FOUND",
    `That job's output is no longer kept: a console keeps the output of its own ${MAX_KEPT_JOBS} most recent jobs in memory until it restarts, and this job ran on another console instance, before a restart, or longer ago. Its outcomes are still listed; each session's transcript has its output.`,
  );
}

/**
 * A finished-or-running bulk Receive's kept output as one tar archive: one text file per session
 * (computer/name-id.txt) and a summary of every target's outcome.
 */
export async function bulkArchiveOf(actor: TSessionUser, jobId: string): Promise<{ filename: string; data: Buffer }> {
  const job = jobs().get(jobId);
  if (!job || job.actorId !== actor.id) throw await outputGone(actor, jobId);
  if (job.operation !== "receive") throw new AppError("INVALID_INPUT", "Only a bulk Receive has output to download.");
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60) || "_";
  const files: { name: string; data: Buffer; mtime: Date }[] = [];
  const summary: string[] = [`Bulk Receive ${job.id} by ${job.actorName}, started ${job.startedAt.toISOString()}${job.finishedAt ? `, finished ${job.finishedAt.toISOString()}` : ", still running"}`, ""];
  for (const o of job.outcomes) {
    const r = job.received.get(o.sessionId);
    const name = `${safe(o.computerName)}/${safe(o.name)}-${o.sessionId}.txt`;
    if (r) files.push({ name, data: Buffer.from(r.output, "utf8"), mtime: job.finishedAt ?? new Date() });
    summary.push(
      o.ok
        ? `ok      ${o.computerName} ${o.name}: ${r ? `${r.outputBytes} bytes received, ${r.droppedBytes} dropped${r.omittedBytes ? `, the oldest ${r.omittedBytes} not kept here (in the session's transcript)` : ""} -> ${name}` : "nothing received"}`
        : `failed  ${o.computerName} ${o.name}: ${o.error ?? "failed"}`,
    );
  }
  files.unshift({ name: "summary.txt", data: Buffer.from(summary.join("\n") + "\n", "utf8"), mtime: new Date() });
  return { filename: `baton-receive-${job.id}.tar`, data: tarArchive(files) };
}

/** A POSIX ustar archive (no compression): 512-byte header per file, content padded to 512. */
export function tarArchive(files: readonly { name: string; data: Buffer; mtime: Date }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    const name = Buffer.from(f.name, "utf8");
    if (name.length > 100) throw new AppError("INVALID_INPUT", `Archive entry name too long: ${f.name}`);
    name.copy(h, 0);
    const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, "0") + "\0";
    h.write(octal(0o644, 8), 100, "ascii");
    h.write(octal(0, 8), 108, "ascii");
    h.write(octal(0, 8), 116, "ascii");
    h.write(octal(f.data.length, 12), 124, "ascii");
    h.write(octal(Math.floor(f.mtime.getTime() / 1000), 12), 136, "ascii");
    h.write("        ", 148, "ascii");
    h.write("0", 156, "ascii");
    h.write("ustar\0", 257, "ascii");
    h.write("00", 263, "ascii");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
    blocks.push(h, f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * Stops a running job of this user's: targets not yet started report "cancelled"; requests
 * already sent to agents finish and report their own outcome. False when it had finished. Only
 * the console process running a job holds its switch: a job run elsewhere is refused, plainly.
 */
export async function cancelBulkJob(actor: TSessionUser, jobId: string): Promise<boolean> {
  const job = jobs().get(jobId);
  if (job && job.actorId === actor.id) {
    if (job.finished) return false;
    job.cancel.abort();
    return true;
  }
  const row = job ? null : await readJob(jobId);
  if (!row || row.actorId !== actor.id) throw new AppError("NOT_FOUND", "No bulk job of yours with that id.");
  if (row.finishedAt) return false;
  throw new AppError(
    "INVALID_STATE",
    `That job is not run by this console instance but by ${row.owner}, so it cannot be cancelled from here. If that console stopped, the job is ended for it: each session it had not done is marked interrupted.`,
  );
}

/** What a bulk Receive got from one session of the job. */
export async function bulkReceivedOf(actor: TSessionUser, jobId: string, sessionId: string): Promise<TBulkReceived> {
  const job = jobs().get(jobId);
  if (!job || job.actorId !== actor.id) throw await outputGone(actor, jobId);
  const r = job.received.get(sessionId);
  if (!r) throw new AppError("NOT_FOUND", "That session's output is not part of this job: it received nothing, or failed.");
  return r;
}

/** Keeps the newest bytes within the job's bounds, cut at a character boundary. */
function keepReceived(job: TBulkJob, sessionId: string, r: { output: Buffer; outputBytes: number; droppedBytes: number; offset: number }): void {
  const room = Math.max(0, Math.min(RECEIVE_KEEP_PER_TARGET, RECEIVE_KEEP_BYTES - job.receivedBytes));
  let bytes = r.output;
  if (bytes.length > room) {
    let from = bytes.length - room;
    while (from < bytes.length && (bytes[from] & 0xc0) === 0x80) from++;
    bytes = bytes.subarray(from);
  }
  job.receivedBytes += bytes.length;
  job.received.set(sessionId, { output: bytes.toString("utf8"), outputBytes: r.outputBytes, droppedBytes: r.droppedBytes, offset: r.offset + (r.output.length - bytes.length), omittedBytes: r.output.length - bytes.length });
}

type TSettled = { outcome: TBulkOutcome; audit: TAuditInput; position: number };

/**
 * Starts a bulk job in the background; progress goes to the actor's browsers as live events.
 * The agents set the pace: each worker moves to its next target as soon as an agent answers,
 * while the audit events (one per target) are committed in batches and progress is published
 * a few times per second. Outcomes are reported once their audit events are committed, and are
 * written to the database with the same rhythm (one statement per batch). The job and its
 * targets are on record before any agent is asked: a console that stops mid-job leaves a job
 * the next start (or, in a cluster, another instance) ends, its unfinished targets interrupted.
 */
export async function startBulkJob(actor: TSessionUser, op: TBulkOperation, records: TSessionRecord[], opts: TJobOptions): Promise<{ jobId: string; total: number }> {
  const jobId = randomUUID();
  const who = auditActorOf(actor);
  const startedAt = new Date();
  const targets = records.map((r) => ({ sessionId: r.id, name: r.name, computerName: r.computer.name }));
  await recordJobStart({ id: jobId, actor: { id: actor.id, name: actor.username, role: who.role }, operation: op, options: opts, startedAt, owner: consoleInstanceId() }, targets);
  // Each push carries the outcomes settled since the previous one; browsers accumulate them.
  const progress: TBulkProgress = { jobId, operation: op, total: records.length, done: 0, outcomes: [], finished: false };
  let pushTimer: NodeJS.Timeout | null = null;
  const pushNow = () => {
    if (pushTimer) clearTimeout(pushTimer);
    pushTimer = null;
    publish({ type: "bulk.progress", ...progress }, { users: [actor.id] });
    progress.outcomes = [];
  };
  const push = () => {
    pushTimer ??= setTimeout(pushNow, PROGRESS_EVERY_MS);
  };

  // Several console instances: the job is on record in Redis with this instance as its owner, so
  // that if this instance dies mid-job another one ends every unfinished target (lib/cluster/bulk-jobs.ts).
  const registered = registerClusterJob({ jobId, operation: op, actor: who, targets }).catch((err) => logger.error({ err, jobId }, "bulk job could not be registered with the cluster"));
  const job: TBulkJob = {
    id: jobId,
    actorId: actor.id,
    actorName: actor.username,
    startedAt,
    finishedAt: null,
    options: { ...opts },
    operation: op,
    total: records.length, outcomes: [], received: new Map(), receivedBytes: 0, finished: false, cancel: new AbortController(), done: null! };

  // Group commit: while one batch is written, the next accumulates.
  const pending: TSettled[] = [];
  // Outcomes whose batch the database refused (it was away): written again before the job's end.
  const unrecorded: TPlacedOutcome[] = [];
  let writing: Promise<void> | null = null;
  // The store's copy of each session follows from the agent's own event for the change, on the
  // computer's stream, as for any other change: the job writes only its audit events, then its
  // outcomes (BulkJobTarget) in one statement per batch.
  const writeBatch = async (batch: TSettled[]) => {
    try {
      await appendAuditEvents(batch.map((b) => b.audit));
    } catch (err) {
      logger.error({ err, jobId, targets: batch.length }, "bulk job could not audit its batch");
    }
    const placed = batch.map((b) => ({ ...b.outcome, position: b.position }));
    await recordOutcomes(jobId, placed).catch((err) => {
      logger.error({ err, jobId, targets: batch.length }, "bulk job could not record its batch's outcomes; tried again when it ends");
      unrecorded.push(...placed);
    });
    await registered;
    await settleClusterTargets(jobId, batch.map((b) => b.outcome.sessionId)).catch((err) => logger.error({ err, jobId }, "bulk job could not record its progress with the cluster"));
    for (const b of batch) {
      job.outcomes.push(b.outcome);
      progress.outcomes.push(b.outcome);
    }
    progress.done += batch.length;
    push();
  };
  // Outcomes settle in bursts; a wait (shorter than progress's interval) gathers them into one
  // commit: each commit of a batch costs the console a query plan compiled anew (Prisma caches
  // none for a multi-row INSERT), so a few big commits cost far less than many small ones. The
  // wait ends early when the batch is full or the last target has settled.
  let settledCount = 0;
  let gathered: (() => void) | null = null;
  const gather = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        gathered = null;
        resolve();
      };
      const timer = setTimeout(done, WRITE_GATHER_MS);
      gathered = done;
    });
  const drain = (): Promise<void> =>
    (writing ??= (async () => {
      while (pending.length) {
        if (pending.length < MAX_WRITE_BATCH && settledCount < records.length) await gather();
        await writeBatch(pending.splice(0, MAX_WRITE_BATCH));
      }
    })().finally(() => {
      writing = null;
    }));
  const settle = (s: TSettled) => {
    pending.push(s);
    settledCount++;
    if (gathered && (pending.length >= MAX_WRITE_BATCH || settledCount === records.length)) gathered();
    if (!writing) void drain();
  };

  // The targets that start in one turn of the event loop share one look at the token, taken after
  // they all asked: at ThrottleLimit 32 that is a query per few targets instead of one each.
  const tokenStillActive = nextRunShared(() => assertAccessTokenActive(actor));
  const runOne = async (record: TSessionRecord, position: number): Promise<void> => {
    const target = { sessionId: record.id, sessionName: record.name, computerName: record.computer.name };
    const base = { sessionId: record.id, name: record.name, computerName: record.computer.name };
    try {
      let snapshot: TSessionSnapshot;
      let params: Record<string, unknown> = { bulkJobId: jobId };
      // A job started with an access token stops acting the moment the token is revoked or expires.
      await tokenStillActive();
      switch (op) {
        case "disconnect":
          snapshot = await disconnectOnAgent({ actor, record, idleTimeoutSec: opts.idleTimeoutSec, outputBufferingMode: opts.outputBufferingMode });
          break;
        case "connect":
          snapshot = await connectOnAgent({ actor, record });
          break;
        case "remove":
          snapshot = await removeOnAgent({ actor, record });
          break;
        case "receive": {
          const r = await receiveOnAgent({ actor, record });
          snapshot = r.session;
          params = { ...params, outputBytes: r.outputBytes, droppedBytes: r.droppedBytes };
          keepReceived(job, record.id, r);
          break;
        }
      }
      // As the single actions do: the receiver's first connect accepts a handoff.
      if ((op === "connect" || op === "receive") && record.handoffs?.some((h) => h.toUserId === actor.id)) await markHandoffAccepted({ actor, sessionId: record.id });
      const state = viewFor(snapshot, actor.id).viewState;
      settle({ audit: { actor: who, action: `session.${op}`, outcome: "ok", params, ...target }, outcome: { ...base, ok: true, state, error: null }, position });
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) logger.error({ err, jobId, sessionId: record.id }, "bulk target failed unexpectedly");
      const message = known ? err.message : `The console could not act on ${record.name} on ${record.computer.name}. Try again; if it keeps failing, an admin can find the details in the console's log.`;
      settle({
        audit: { actor: who, action: `session.${op}`, outcome: known ? "refused" : "error", params: { bulkJobId: jobId }, error: message, ...target },
        outcome: { ...base, ok: false, state: null, error: message },
        position,
      });
    }
  };

  const skipped = (record: TSessionRecord, position: number) => {
    const message = "Cancelled before it started: nothing was done to this session.";
    settle({
      audit: { actor: who, action: `session.${op}`, outcome: "refused", params: { bulkJobId: jobId, cancelled: true }, error: message, sessionId: record.id, sessionName: record.name, computerName: record.computer.name },
      outcome: { sessionId: record.id, name: record.name, computerName: record.computer.name, ok: false, state: null, error: message, cancelled: true },
      position,
    });
  };
  job.done = mapWithConcurrency(records, opts.throttleLimit, runOne, undefined, { signal: job.cancel.signal, onSkipped: skipped })
    .catch((err) => logger.error({ err, jobId }, "bulk job failed"))
    .then(async () => {
      while (writing || pending.length) await drain();
    })
    .then(async () => {
      if (unrecorded.length) await recordOutcomes(jobId, unrecorded.splice(0)).catch((err) => logger.error({ err, jobId }, "bulk job could not record some outcomes (they are audited)"));
      job.finishedAt = new Date();
      // Its outcomes are all written: the job's end goes on record, then the cluster forgets it.
      return recordJobFinish(jobId, { finishedAt: job.finishedAt, cancelled: job.cancel.signal.aborted }).catch((err) => logger.error({ err, jobId }, "bulk job could not record its end"));
    })
    .then(() => registered)
    .then(() => finishClusterJob(jobId).catch((err) => logger.error({ err, jobId }, "bulk job could not close its cluster record")))
    .finally(() => {
      job.finished = true;
      job.finishedAt ??= new Date();
      progress.finished = true;
      pushNow();
      // The user's kept history stays bounded (lib/sessions/bulk-store.ts), off the job's path.
      void pruneJobs({ actorId: actor.id }).catch((err) => logger.warn({ err, jobId }, "bulk job history could not be pruned; retried after the next job"));
    })
    .then(() => job.outcomes);
  keep(job);
  return { jobId, total: records.length };
}

const PROGRESS_EVERY_MS = 250;
