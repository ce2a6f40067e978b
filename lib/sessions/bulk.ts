import "server-only";
import { randomUUID } from "node:crypto";
import type { TSessionUser } from "@/lib/auth/session-store";
import { appendAuditEvent } from "@/lib/audit/append";
import { db } from "@/lib/db/client";
import { sessionsWhere } from "@/lib/data/sessions/list-sessions";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { mayActOn, sessionRowSelect, viewOf, type TSessionRecord } from "@/lib/data/sessions/to-session-row";
import type { TBulkOperation, TBulkOutcome, TBulkProgress, TPreviewItem, TSessionSelectionFilters, TSessionStateName } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { publish } from "@/lib/realtime/publish";
import { connectSession, disconnectSession, removeSession } from "@/lib/sessions/operations";
import type { TOutputBufferingMode } from "@/lib/protocol";
import { mapWithConcurrency } from "@/lib/utils/map-with-concurrency";

export const MAX_BULK_TARGETS = 10_000;
export const DEFAULT_THROTTLE_LIMIT = 32;

export type TBulkSelection = { sessionIds?: string[]; filters?: TSessionSelectionFilters };

export async function resolveTargets(actor: TSessionUser, selection: TBulkSelection): Promise<TSessionRecord[]> {
  if (!selection.sessionIds?.length && !selection.filters) throw new AppError("INVALID_INPUT", "Select sessions, or a filter, to act on.");
  const where = selection.sessionIds?.length
    ? { AND: [visibleSessionsWhere(actor), { id: { in: selection.sessionIds } }] }
    : sessionsWhere(actor, selection.filters!);
  const records = (await db.session.findMany({ where, select: sessionRowSelect, orderBy: [{ computer: { name: "asc" } }, { agentSessionId: "asc" }], take: MAX_BULK_TARGETS + 1 })) as TSessionRecord[];
  if (records.length > MAX_BULK_TARGETS) throw new AppError("INVALID_INPUT", `That selection has more than ${MAX_BULK_TARGETS} sessions; narrow the filter.`);
  return records;
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

/** Starts a bulk job in the background; progress goes to the actor's browsers as live events. */
export function startBulkJob(actor: TSessionUser, op: TBulkOperation, records: TSessionRecord[], opts: TJobOptions): { jobId: string; total: number } {
  const jobId = randomUUID();
  // Each push carries the outcomes settled since the previous one; browsers accumulate them.
  const progress: TBulkProgress = { jobId, operation: op, total: records.length, done: 0, outcomes: [], finished: false };
  let lastPush = 0;
  const push = (force = false) => {
    if (!force && Date.now() - lastPush < 150) return;
    lastPush = Date.now();
    publish({ type: "bulk.progress", ...progress }, { users: [actor.id] });
    progress.outcomes = [];
  };
  const runOne = async (record: TSessionRecord): Promise<TSessionStateName> => {
    const target = { sessionId: record.id, sessionName: record.name, computerName: record.computer.name };
    try {
      const row =
        op === "disconnect"
          ? await disconnectSession({ actor, record, idleTimeoutSec: opts.idleTimeoutSec, outputBufferingMode: opts.outputBufferingMode })
          : op === "connect"
            ? await connectSession({ actor, record })
            : await removeSession({ actor, record });
      await appendAuditEvent({ actor: { id: actor.id, name: actor.username, role: actor.role }, action: `session.${op}`, outcome: "ok", params: { bulkJobId: jobId }, ...target });
      return row.state;
    } catch (err) {
      const message = err instanceof AppError ? err.message : "unexpected error";
      await appendAuditEvent({ actor: { id: actor.id, name: actor.username, role: actor.role }, action: `session.${op}`, outcome: err instanceof AppError ? "refused" : "error", params: { bulkJobId: jobId }, error: message, ...target });
      throw err;
    }
  };
  void mapWithConcurrency(records, opts.throttleLimit, runOne, (result, record) => {
    const outcome: TBulkOutcome = {
      sessionId: record.id,
      name: record.name,
      computerName: record.computer.name,
      ok: result.status === "fulfilled",
      state: result.status === "fulfilled" ? result.value : null,
      error: result.status === "rejected" ? (result.reason instanceof AppError ? result.reason.message : "unexpected error") : null,
    };
    progress.outcomes.push(outcome);
    progress.done++;
    push();
  })
    .catch((err) => logger.error({ err, jobId }, "bulk job failed"))
    .finally(() => {
      progress.finished = true;
      push(true);
    });
  return { jobId, total: records.length };
}
