import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { SESSION_ACTOR_ROLES, type TRole } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import type { TSessionRecord } from "@/lib/data/sessions/to-session-row";
import type { TSessionRow } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { publish } from "@/lib/realtime/publish";
import { fleet } from "@/lib/fleet/fleet";
import { ingestSession } from "@/lib/fleet/ingest";
import { actAs, disconnectSession, loadRow } from "@/lib/sessions/operations";

/**
 * Hands a session to a named user with a reason: the right to connect moves without sharing
 * credentials. A giver who is attached is disconnected first; the session's commands keep running.
 */
export async function handOffSession({
  actor,
  record,
  toUsername,
  reason,
}: {
  actor: TSessionUser;
  record: TSessionRecord;
  toUsername: string;
  reason: string;
}): Promise<TSessionRow> {
  const to = await db.user.findUnique({ where: { username: toUsername }, select: { id: true, username: true, role: true, disabled: true } });
  if (!to || to.disabled) throw new AppError("NOT_FOUND", `No active user named ${toUsername}.`, { toUsername: ["no such user"] });
  if (!SESSION_ACTOR_ROLES.includes(to.role as TRole)) {
    throw new AppError("INVALID_INPUT", `${to.username} is ${to.role === "helpdesk" ? "help desk" : `an ${to.role}`} and cannot work in sessions.`, { toUsername: ["cannot act on sessions"] });
  }
  if (to.id === actor.id) throw new AppError("INVALID_INPUT", "You cannot hand a session to yourself.", { toUsername: ["is you"] });
  if (record.state === "Closed" || record.state === "Broken") throw new AppError("INVALID_STATE", `${record.name} is ${record.state} and cannot be handed over.`);
  if (record.state === "Opened" && record.holderId !== actor.id) {
    throw new AppError("INVALID_STATE", `${record.name} is attached to ${record.holderName ?? "someone else"}; they must disconnect first, or a manager can take it over.`);
  }
  if (record.state === "Opened") await disconnectSession({ actor, record });

  await db.$transaction([
    db.handoff.updateMany({ where: { sessionId: record.id, endedAt: null }, data: { endedAt: new Date() } }),
    db.handoff.create({ data: { sessionId: record.id, fromUserId: actor.id, toUserId: to.id, reason } }),
    db.sessionEvent.create({ data: { sessionId: record.id, at: new Date(), change: "handed-off", state: "Disconnected", reason: `${actor.username} handed it to ${to.username}: ${reason}` } }),
  ]);
  publish({ type: "session.updated", id: record.id, state: "Disconnected" }, { roles: ["manager", "helpdesk", "admin"], users: [record.ownerId, actor.id, to.id] });
  publish({ type: "handoff.received", id: record.id, name: record.name, computerName: record.computer.name, from: actor.username, reason }, { users: [to.id] });
  return loadRow(actor, record.id);
}

/** The receiver's first connect accepts the handoff. */
export async function markHandoffAccepted({ actor, sessionId }: { actor: TSessionUser; sessionId: string }): Promise<void> {
  await db.handoff.updateMany({ where: { sessionId, toUserId: actor.id, endedAt: null, acceptedAt: null }, data: { acceptedAt: new Date() } });
}

/**
 * A manager takes over a session attached to someone else: explicit, with a reason. The other
 * user is detached (their commands keep running), told live, and the step is recorded.
 */
export async function takeOverSession({ actor, record, reason }: { actor: TSessionUser; record: TSessionRecord; reason: string }): Promise<TSessionRow> {
  if (actor.role !== "manager" && actor.role !== "admin") throw new AppError("FORBIDDEN", "Only managers and admins may take over a session.");
  if (record.state !== "Opened" || !record.holderId || record.holderId === actor.id) {
    throw new AppError("INVALID_STATE", `${record.name} is not attached to another user; connect to it instead.`);
  }
  const from = { id: record.holderId, name: record.holderName ?? "another user" };
  const view = await fleet()
    .link(record.computerId)
    .request(actAs(actor), (c, streamId) => c.connect(actAs(actor), record.instanceId, { streamId, force: true }));
  await ingestSession({ computerId: record.computerId, snapshot: view });
  const fromUser = await db.user.findUnique({ where: { id: from.id }, select: { id: true } });
  await db.$transaction([
    db.handoff.updateMany({ where: { sessionId: record.id, endedAt: null }, data: { endedAt: new Date() } }),
    ...(fromUser
      ? [db.handoff.create({ data: { sessionId: record.id, fromUserId: fromUser.id, toUserId: actor.id, reason: `take-over: ${reason}`, acceptedAt: new Date(), endedAt: new Date() } })]
      : []),
    db.sessionEvent.create({ data: { sessionId: record.id, at: new Date(), change: "taken-over", state: "Opened", reason: `${actor.username} took it over from ${from.name}: ${reason}` } }),
  ]);
  publish({ type: "session.taken-over", id: record.id, name: record.name, computerName: record.computer.name, by: actor.username, reason }, { users: [from.id, record.ownerId] });
  return loadRow(actor, record.id);
}
