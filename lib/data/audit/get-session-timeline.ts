import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { assertAuditReader } from "@/lib/data/audit/access";

const ID = /^[a-z0-9]{20,40}$/;
/** Per source; a busier session links to the filtered trail for the rest. */
export const TIMELINE_MAX_PER_SOURCE = 2000;

export type TTimelineEntry =
  | { kind: "audit"; key: string; at: string; seq: number; action: string; outcome: string; actorName: string; actorRole: string; error: string | null; params: string }
  | { kind: "state"; key: string; at: string; change: string; state: string; reason: string | null }
  | {
      kind: "command";
      key: string;
      at: string;
      id: string;
      command: string;
      actorName: string | null;
      endedAt: string | null;
      exitCode: number | null;
      outputTruncated: boolean;
    }
  | { kind: "handoff"; key: string; at: string; step: "handed" | "accepted" | "ended"; fromName: string; toName: string; reason: string };

export type TSessionTimeline = {
  sessionId: string;
  /** The console's row for the session; null once it is gone (the trail outlives it). */
  session: { name: string; computerName: string; configurationName: string; ownerName: string; state: string; createdAt: string } | null;
  /** Name and computer as the trail recorded them, for sessions whose row is gone. */
  recorded: { name: string | null; computerName: string | null };
  entries: TTimelineEntry[];
  counts: { audit: number; state: number; command: number; handoff: number };
  truncated: boolean;
};

// Same instant: the audit event that caused a change first, then the change, then its detail.
const KIND_ORDER: Record<TTimelineEntry["kind"], number> = { audit: 0, handoff: 1, state: 2, command: 3 };

/**
 * Everything known about one session, in time order: its audit events, the state changes the
 * agent reported, the commands run in it (with exit codes; output is read by the transcript),
 * and its handoffs. Auditors and admins only.
 */
export async function getSessionTimeline({ actor, sessionId }: { actor: TSessionUser; sessionId: string }): Promise<TSessionTimeline> {
  assertAuditReader(actor);
  if (!ID.test(sessionId)) throw new AppError("NOT_FOUND", "No such session in the audit trail.");
  const take = TIMELINE_MAX_PER_SOURCE;
  const [session, audit, states, commands, handoffs, counts] = await Promise.all([
    db.session.findUnique({
      where: { id: sessionId },
      select: { name: true, configurationName: true, ownerName: true, state: true, createdAt: true, computer: { select: { name: true } } },
    }),
    db.auditEvent.findMany({
      where: { sessionId },
      orderBy: [{ at: "asc" }, { seq: "asc" }],
      take,
      select: { seq: true, at: true, action: true, outcome: true, actorName: true, actorRole: true, error: true, params: true, sessionName: true, computerName: true },
    }),
    db.sessionEvent.findMany({ where: { sessionId }, orderBy: [{ at: "asc" }, { id: "asc" }], take, select: { id: true, at: true, change: true, state: true, reason: true } }),
    db.sessionCommand.findMany({
      where: { sessionId },
      orderBy: [{ startedAt: "asc" }, { id: "asc" }],
      take,
      select: { id: true, command: true, startedAt: true, endedAt: true, exitCode: true, outputTruncated: true, actor: { select: { username: true } } },
    }),
    db.handoff.findMany({
      where: { sessionId },
      orderBy: { createdAt: "asc" },
      take,
      select: { id: true, reason: true, createdAt: true, acceptedAt: true, endedAt: true, fromUser: { select: { username: true } }, toUser: { select: { username: true } } },
    }),
    Promise.all([
      db.auditEvent.count({ where: { sessionId } }),
      db.sessionEvent.count({ where: { sessionId } }),
      db.sessionCommand.count({ where: { sessionId } }),
      db.handoff.count({ where: { sessionId } }),
    ]),
  ]);
  if (!session && audit.length === 0) throw new AppError("NOT_FOUND", "No such session in the audit trail.");

  const entries: TTimelineEntry[] = [
    ...audit.map((e): TTimelineEntry => ({
      kind: "audit",
      key: `a${e.seq}`,
      at: e.at.toISOString(),
      seq: e.seq,
      action: e.action,
      outcome: e.outcome,
      actorName: e.actorName,
      actorRole: e.actorRole,
      error: e.error,
      params: e.params,
    })),
    ...states.map((e): TTimelineEntry => ({ kind: "state", key: `s${e.id}`, at: e.at.toISOString(), change: e.change, state: e.state, reason: e.reason })),
    ...commands.map((c): TTimelineEntry => ({
      kind: "command",
      key: `c${c.id}`,
      at: c.startedAt.toISOString(),
      id: c.id,
      command: c.command,
      actorName: c.actor?.username ?? null,
      endedAt: c.endedAt?.toISOString() ?? null,
      exitCode: c.exitCode,
      outputTruncated: c.outputTruncated,
    })),
    ...handoffs.flatMap((h): TTimelineEntry[] => {
      const base = { fromName: h.fromUser.username, toName: h.toUser.username, reason: h.reason };
      return [
        { kind: "handoff", key: `h${h.id}`, at: h.createdAt.toISOString(), step: "handed", ...base },
        ...(h.acceptedAt ? [{ kind: "handoff" as const, key: `h${h.id}a`, at: h.acceptedAt.toISOString(), step: "accepted" as const, ...base }] : []),
        ...(h.endedAt ? [{ kind: "handoff" as const, key: `h${h.id}e`, at: h.endedAt.toISOString(), step: "ended" as const, ...base }] : []),
      ];
    }),
  ];
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : KIND_ORDER[a.kind] - KIND_ORDER[b.kind]));

  const [auditCount, stateCount, commandCount, handoffCount] = counts;
  const named = audit.find((e) => e.sessionName) ?? null;
  return {
    sessionId,
    session: session
      ? {
          name: session.name,
          computerName: session.computer.name,
          configurationName: session.configurationName,
          ownerName: session.ownerName,
          state: session.state,
          createdAt: session.createdAt.toISOString(),
        }
      : null,
    recorded: { name: named?.sessionName ?? null, computerName: audit.find((e) => e.computerName)?.computerName ?? null },
    entries,
    counts: { audit: auditCount, state: stateCount, command: commandCount, handoff: handoffCount },
    truncated: auditCount > take || stateCount > take || commandCount > take || handoffCount > take,
  };
}
