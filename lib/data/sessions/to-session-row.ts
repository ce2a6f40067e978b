import type { TSessionUser } from "@/lib/auth/session-store";
import { SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import type { TAvailabilityName, TSessionRow, TSessionStateName } from "@/lib/dto/sessions";

// The select every session read uses, and its mapping to what a given viewer sees.
export const sessionRowSelect = {
  id: true,
  computerId: true,
  computer: { select: { name: true } },
  agentSessionId: true,
  instanceId: true,
  name: true,
  configurationName: true,
  ownerId: true,
  ownerName: true,
  holderId: true,
  holderName: true,
  state: true,
  reason: true,
  idleTimeoutSec: true,
  outputBufferingMode: true,
  disconnectedOn: true,
  expiresOn: true,
  bufferedBytes: true,
  bufferSizeBytes: true,
  outputBlocked: true,
  droppedBytes: true,
  totalDroppedBytes: true,
  runningCommand: true,
  commandStartedOn: true,
  askBeforeWatching: true,
  updatedAt: true,
  // The open handoff, if any: it gives its receiver the right to connect.
  handoffs: {
    where: { endedAt: null },
    orderBy: { createdAt: "desc" },
    take: 1,
    select: { toUserId: true, reason: true, createdAt: true, toUser: { select: { username: true } }, fromUser: { select: { username: true } } },
  },
} as const;

export type TSessionRecord = {
  id: string;
  computerId: string;
  computer: { name: string };
  agentSessionId: number;
  instanceId: string;
  name: string;
  configurationName: string;
  ownerId: string;
  ownerName: string;
  holderId: string | null;
  holderName: string | null;
  state: TSessionStateName;
  reason: string | null;
  idleTimeoutSec: number;
  outputBufferingMode: "Block" | "Drop";
  disconnectedOn: Date | null;
  expiresOn: Date | null;
  bufferedBytes: number;
  bufferSizeBytes: number;
  outputBlocked: boolean;
  droppedBytes: bigint;
  totalDroppedBytes: bigint;
  runningCommand: string | null;
  commandStartedOn: Date | null;
  askBeforeWatching: boolean;
  updatedAt: Date;
  handoffs: { toUserId: string; reason: string; createdAt: Date; toUser: { username: string }; fromUser: { username: string } }[];
};

/** PowerShell's view rules (DESIGN.md): attached to someone else reads Disconnected/Busy to you. */
export function viewOf(s: { state: TSessionStateName; holderId: string | null; runningCommand: string | null }, viewerId: string) {
  if (s.state === "Opened" && s.holderId && s.holderId !== viewerId) return { state: "Disconnected" as const, availability: "Busy" as const };
  if (s.state === "Opened") return { state: s.state, availability: (s.runningCommand ? "Busy" : "Available") as TAvailabilityName };
  return { state: s.state, availability: "None" as const };
}

/**
 * Managers and admins act on any session; technicians on their own and on those handed to
 * them. Help desk and auditors never.
 */
export function mayActOn(viewer: TSessionUser, s: { ownerId: string; holderId: string | null; handoffs?: { toUserId: string }[] }): boolean {
  if (!SESSION_ACTOR_ROLES.includes(viewer.role)) return false;
  if (viewer.role === "manager" || viewer.role === "admin") return true;
  return s.ownerId === viewer.id || s.holderId === viewer.id || s.handoffs?.[0]?.toUserId === viewer.id;
}

export function toSessionRow(r: TSessionRecord, viewer: TSessionUser, maxIdleTimeoutMs: number | null): TSessionRow {
  const view = viewOf(r, viewer.id);
  const act = mayActOn(viewer, r);
  const mine = r.holderId === viewer.id;
  const live = r.state !== "Closed" && r.state !== "Broken";
  const maxIdleTimeoutSec = maxIdleTimeoutMs === null ? null : Math.floor(maxIdleTimeoutMs / 1000);
  return {
    id: r.id,
    computerId: r.computerId,
    computerName: r.computer.name,
    agentSessionId: r.agentSessionId,
    instanceId: r.instanceId,
    name: r.name,
    configurationName: r.configurationName,
    ownerId: r.ownerId,
    ownerName: r.ownerName,
    holderId: r.holderId,
    holderName: r.holderName,
    state: view.state,
    agentState: r.state,
    availability: view.availability,
    reason: r.reason,
    idleTimeoutSec: r.idleTimeoutSec,
    outputBufferingMode: r.outputBufferingMode,
    disconnectedOn: r.disconnectedOn?.toISOString() ?? null,
    expiresOn: r.expiresOn?.toISOString() ?? null,
    bufferedBytes: r.bufferedBytes,
    bufferSizeBytes: r.bufferSizeBytes,
    outputBlocked: r.outputBlocked,
    droppedBytes: Number(r.droppedBytes),
    totalDroppedBytes: Number(r.totalDroppedBytes),
    runningCommand: r.runningCommand,
    commandStartedOn: r.commandStartedOn?.toISOString() ?? null,
    updatedAt: r.updatedAt.toISOString(),
    askBeforeWatching: r.askBeforeWatching,
    handedTo: r.handoffs[0]
      ? { id: r.handoffs[0].toUserId, name: r.handoffs[0].toUser.username, by: r.handoffs[0].fromUser.username, reason: r.handoffs[0].reason, at: r.handoffs[0].createdAt.toISOString() }
      : null,
    maxIdleTimeoutSec,
    idleTimeoutExceedsMax: maxIdleTimeoutSec !== null && r.idleTimeoutSec > maxIdleTimeoutSec,
    can: {
      disconnect: act && r.state === "Opened" && mine,
      connect: act && r.state === "Disconnected",
      receive: act && (r.state === "Disconnected" || (r.state === "Opened" && mine)),
      remove: act && r.state !== "Closed",
      run: act && live && r.state === "Opened" && mine,
      handoff: act && live && (r.state !== "Opened" || mine),
      takeOver: (viewer.role === "manager" || viewer.role === "admin") && r.state === "Opened" && !!r.holderId && !mine,
      chooseWatching: act && live && (r.ownerId === viewer.id || mine),
    },
  };
}
