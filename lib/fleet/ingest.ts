import type { TConfigurationView, TSessionChange, TSessionSnapshot } from "@/lib/protocol";
import { db } from "@/lib/db/client";
import { publish } from "@/lib/realtime/publish";

// Keeps the console's copy of agent state current. The agent is the source of truth: each
// snapshot overwrites the row; each change is also kept as one line of state history.

function sessionData(s: TSessionSnapshot) {
  return {
    agentSessionId: s.id,
    name: s.name,
    nameKey: s.name.toLowerCase(),
    configurationName: s.configurationName,
    ownerId: s.owner.id,
    ownerName: s.owner.name,
    holderId: s.holder?.id ?? null,
    holderName: s.holder?.name ?? null,
    state: s.state,
    reason: s.reason,
    idleTimeoutSec: s.idleTimeoutSec,
    outputBufferingMode: s.outputBufferingMode,
    disconnectedOn: s.disconnectedOn ? new Date(s.disconnectedOn) : null,
    expiresOn: s.expiresOn ? new Date(s.expiresOn) : null,
    bufferedBytes: s.bufferedBytes,
    bufferSizeBytes: s.bufferSizeBytes,
    outputBlocked: s.outputBlocked,
    droppedBytes: BigInt(s.droppedBytes),
    totalDroppedBytes: BigInt(s.totalDroppedBytes),
    runningCommand: s.command ? (s.command.command ?? "(interactive)") : null,
    commandStartedOn: s.command ? new Date(s.command.startedOn) : null,
  };
}

/** Who may see a session's changes live: its owner and holder, and every role that sees all sessions. */
export function audienceFor(s: { ownerId: string; holderId: string | null }) {
  return { roles: ["manager", "helpdesk", "admin"] as const, users: [s.ownerId, ...(s.holderId ? [s.holderId] : [])] };
}

export async function ingestSession({
  computerId,
  snapshot,
  change,
  reason,
  at,
}: {
  computerId: string;
  snapshot: TSessionSnapshot;
  change?: TSessionChange | "reconciled";
  reason?: string;
  at?: Date;
}): Promise<string> {
  const data = sessionData(snapshot);
  const row = await db.session.upsert({
    where: { instanceId: snapshot.instanceId },
    create: { ...data, instanceId: snapshot.instanceId, computerId, createdAt: new Date(snapshot.createdOn) },
    update: data,
    select: { id: true, state: true, ownerId: true, holderId: true },
  });
  // Fill updates, resizes and control keys (audited as input events) refresh the row but are not state history.
  if (change && change !== "resized" && change !== "buffered" && change !== "input.control") {
    await db.sessionEvent.create({
      data: { sessionId: row.id, at: at ?? new Date(), change, state: snapshot.state, reason: reason ?? snapshot.reason ?? null },
    });
  }
  publish({ type: "session.updated", id: row.id, state: row.state }, audienceFor(row));
  return row.id;
}

export type TReconciledChange = { sessionId: string; sessionName: string; change: TSessionChange; reason: string | undefined };

function changeBetween(prev: { state: string; holderId: string | null } | undefined, s: TSessionSnapshot): TSessionChange | undefined {
  if (!prev || (prev.state === s.state && prev.holderId === (s.holder?.id ?? null))) return undefined;
  switch (s.state) {
    case "Disconnected":
      return "disconnected";
    case "Closed":
      return "closed";
    case "Broken":
      return "broken";
    case "Opened":
      return "connected";
    default:
      return undefined;
  }
}

/**
 * After a (re)connect: the hello lists every live session; anything else we thought was live
 * is gone. Returns the state changes that happened while the console was not listening, so the
 * caller can audit those the agent made on its own (e.g. a robust disconnect when a stream dropped).
 */
export async function reconcileComputer(computerId: string, snapshots: TSessionSnapshot[]): Promise<TReconciledChange[]> {
  const seen = new Set<string>();
  const before = new Map(
    (await db.session.findMany({ where: { computerId, state: { not: "Closed" } }, select: { instanceId: true, state: true, holderId: true } })).map((r) => [r.instanceId, r]),
  );
  const changes: TReconciledChange[] = [];
  for (const s of snapshots) {
    seen.add(s.instanceId);
    const change = changeBetween(before.get(s.instanceId), s);
    // Nobody could have disconnected it through this console while its stream was down: the
    // agent did, because the stream it was attached through was lost (robust connection).
    const reason = s.reason ?? (change === "disconnected" ? "stream lost while the console was away; the session kept running disconnected" : undefined);
    const sessionId = await ingestSession({ computerId, snapshot: s, change, reason });
    if (change) changes.push({ sessionId, sessionName: s.name, change, reason });
  }
  const vanished = await db.session.findMany({
    where: { computerId, state: { not: "Closed" }, instanceId: { notIn: [...seen] } },
    select: { id: true, ownerId: true, holderId: true },
  });
  for (const v of vanished) {
    const reason = "the agent no longer has this session (it restarted or the session ended while the console was away)";
    await db.session.update({ where: { id: v.id }, data: { state: "Closed", holderId: null, holderName: null, reason, runningCommand: null } });
    await db.sessionEvent.create({ data: { sessionId: v.id, at: new Date(), change: "reconciled", state: "Closed", reason } });
    publish({ type: "session.updated", id: v.id, state: "Closed" }, audienceFor(v));
  }
  return changes;
}

/** The agent stopped answering: its live sessions are Broken until it comes back. */
export async function markComputerBroken(computerId: string, reason: string): Promise<void> {
  const live = await db.session.findMany({
    where: { computerId, state: { notIn: ["Closed", "Broken"] } },
    select: { id: true, ownerId: true, holderId: true },
  });
  for (const s of live) {
    await db.session.update({ where: { id: s.id }, data: { state: "Broken", reason } });
    await db.sessionEvent.create({ data: { sessionId: s.id, at: new Date(), change: "broken", state: "Broken", reason } });
    publish({ type: "session.updated", id: s.id, state: "Broken" }, audienceFor(s));
  }
}

export async function ingestConfigurations(computerId: string, configurations: TConfigurationView[]): Promise<void> {
  for (const c of configurations) await upsertConfiguration(computerId, c);
  await db.sessionConfiguration.deleteMany({ where: { computerId, name: { notIn: configurations.map((c) => c.name) } } });
}

export async function upsertConfiguration(computerId: string, c: TConfigurationView): Promise<void> {
  {
    const data = {
      idleTimeoutMs: c.idleTimeoutMs,
      maxIdleTimeoutMs: c.maxIdleTimeoutMs,
      outputBufferingMode: c.outputBufferingMode,
      outputBufferBytes: c.outputBufferSizeBytes,
      maxShells: c.maxShells,
      maxShellsPerUser: c.maxShellsPerUser,
      maxConcurrentUsers: c.maxConcurrentUsers,
      maxMemoryPerShellMB: c.maxMemoryPerShellMB,
      maxProcessesPerShell: c.maxProcessesPerShell,
      allowedRoles: JSON.stringify(c.allowedRoles),
      minIdleTimeoutSec: c.minIdleTimeoutSec,
      activeShells: c.activeShells,
      activeUsers: c.activeUsers,
      enforcement: JSON.stringify(c.enforcement),
    };
    await db.sessionConfiguration.upsert({
      where: { computerId_name: { computerId, name: c.name } },
      create: { ...data, computerId, name: c.name },
      update: data,
    });
  }
}
