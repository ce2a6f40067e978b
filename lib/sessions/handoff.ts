import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { SESSION_ACTOR_ROLES, type TRole } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import type { TSessionRecord } from "@/lib/data/sessions/to-session-row";
import type { TSessionRow } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { publish } from "@/lib/realtime/publish";
import { disconnectSession, loadRow } from "@/lib/sessions/operations";

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
