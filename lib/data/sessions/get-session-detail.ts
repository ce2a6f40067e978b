import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import type { TSessionDetail, TSessionEventRow, TSessionStateName } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { configurationRowSelect, toConfigurationRow } from "@/lib/data/computers/to-configuration-row";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { sessionRowSelect, toSessionRow, type TSessionRecord } from "@/lib/data/sessions/to-session-row";

const ZID = /^[a-z0-9]{20,40}$/;

export async function getSessionDetail({ actor, id }: { actor: TSessionUser; id: string }): Promise<TSessionDetail> {
  if (!ZID.test(id)) throw new AppError("NOT_FOUND", "No such session.");
  const record = await db.session.findFirst({ where: { AND: [{ id }, visibleSessionsWhere(actor)] }, select: sessionRowSelect });
  if (!record) throw new AppError("NOT_FOUND", "No such session, or it is not yours to see.");
  const [configuration, commands, events, watches] = await Promise.all([
    db.sessionConfiguration.findUnique({
      where: { computerId_name: { computerId: record.computerId, name: record.configurationName } },
      select: configurationRowSelect,
    }),
    db.sessionCommand.findMany({
      where: { sessionId: id },
      orderBy: { startedAt: "desc" },
      take: 100,
      select: { id: true, command: true, startedAt: true, endedAt: true, exitCode: true, actor: { select: { username: true } } },
    }),
    db.sessionEvent.findMany({ where: { sessionId: id }, orderBy: { at: "desc" }, take: 200, select: { at: true, change: true, state: true, reason: true } }),
    db.auditEvent.findMany({
      where: { sessionId: id, OR: [{ action: { startsWith: "session.watch." } }, { action: { startsWith: "session.join." } }, { action: "session.watch-consent" }] },
      orderBy: { seq: "desc" },
      take: 100,
      select: { at: true, action: true, outcome: true, actorName: true, params: true, error: true },
    }),
  ]);
  const timeline = [
    ...events.map((e) => ({ at: e.at.toISOString(), change: e.change, state: e.state as TSessionStateName, reason: e.reason })),
    ...watches.map(watchEventRow),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return {
    session: toSessionRow(record as TSessionRecord, actor, configuration?.maxIdleTimeoutMs ?? null),
    configuration: configuration ? toConfigurationRow(configuration, (await liveUsage([record.computerId])).get(usageKey(record.computerId, configuration.name)) ?? { shells: 0, users: 0 }) : null,
    commands: commands.map((c) => ({
      id: c.id,
      command: c.command,
      actorName: c.actor?.username ?? null,
      startedAt: c.startedAt.toISOString(),
      endedAt: c.endedAt?.toISOString() ?? null,
      exitCode: c.exitCode,
    })),
    events: timeline,
  };
}

const WATCH_CHANGE: Record<string, string> = {
  "session.watch.started": "watch started",
  "session.watch.stopped": "watch stopped",
  "session.watch.ended": "watch ended by the holder",
  "session.watch.input-refused": "watcher's input refused",
  "session.watch.requested": "asked to watch",
  "session.watch.accepted": "watch accepted",
  "session.watch.refused": "watch refused",
  "session.watch-consent": "watching setting changed",
  "session.join.requested": "join requested",
  "session.join.accepted": "join accepted",
  "session.join.refused": "join refused",
  "session.join.ended": "join ended",
};

/** A watch event of the audit trail, as a timeline line naming who. */
function watchEventRow(e: { at: Date; action: string; outcome: string; actorName: string; params: string; error: string | null }): TSessionEventRow {
  const change = e.outcome === "ok" ? (WATCH_CHANGE[e.action] ?? e.action) : `${WATCH_CHANGE[e.action] ?? e.action} (refused)`;
  let other: string | null = null;
  let ask: unknown;
  /** A join request's reason, as the requester wrote it. */
  let asked: string | null = null;
  try {
    const p = JSON.parse(e.params) as { watcher?: unknown; joiner?: unknown; askBeforeWatching?: unknown; reason?: unknown };
    ask = p.askBeforeWatching;
    if (e.action === "session.join.requested" && typeof p.reason === "string") asked = p.reason;
    other = typeof p.watcher === "string" ? p.watcher : typeof p.joiner === "string" ? p.joiner : null;
  } catch {
    other = null;
  }
  const reason =
    e.action === "session.watch-consent" && e.outcome === "ok"
      ? `${e.actorName} chose ${ask === true ? "no watching without asking" : "watching allowed without asking"}`
      : e.action === "session.watch.ended" && other
      ? `${e.actorName} ended the watch of ${other}`
      : (e.action === "session.join.accepted" || e.action === "session.join.refused" || e.action === "session.watch.accepted" || e.action === "session.watch.refused") && other
        ? `${e.actorName} answered ${other}`
        : `by ${e.actorName}${asked ? `: ${asked}` : ""}${e.error ? `: ${e.error}` : ""}`;
  return { at: e.at.toISOString(), change, state: null, reason };
}
