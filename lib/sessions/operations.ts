import "server-only";
import { actAs } from "@/lib/fleet/act-as";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { maxIdleByConfiguration } from "@/lib/data/sessions/list-sessions";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { mayActOn, sessionRowSelect, toSessionRow, type TSessionRecord } from "@/lib/data/sessions/to-session-row";
import type { TReceiveResult, TSessionRow } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { fleet } from "@/lib/fleet/fleet";
import { ingestSession } from "@/lib/fleet/ingest";
import type { ReceiveResult } from "@/lib/fleet/agent-client";
import type { TOutputBufferingMode, TSessionSnapshot } from "@/lib/protocol";
import type { TAuditTarget } from "@/lib/actions/run-action";
import { reachAgent, type TAgentTarget } from "@/lib/actions/intents";

// Session operations as the console performs them: scope and role check against the store,
// then the agent (whose verdict is final), then the store updated from the agent's answer.

export { actAs };

export async function loadActionable(actor: TSessionUser, sessionId: string): Promise<TSessionRecord> {
  const record = await db.session.findFirst({ where: { AND: [{ id: sessionId }, visibleSessionsWhere(actor)] }, select: sessionRowSelect });
  if (!record) throw new AppError("NOT_FOUND", `No session with id ${sessionId} that you may see.`);
  if (!mayActOn(actor, record)) throw new AppError("FORBIDDEN", `You may not act on ${record.name} on ${record.computer.name}.`);
  return record as TSessionRecord;
}

export const targetOf = (r: TSessionRecord): TAuditTarget => ({ sessionId: r.id, sessionName: r.name, computerName: r.computer.name });

async function rowAfter(actor: TSessionUser, computerId: string, snapshot: TSessionSnapshot): Promise<TSessionRow> {
  return loadRow(actor, await ingestSession({ computerId, snapshot }));
}

export async function loadRow(actor: TSessionUser, id: string): Promise<TSessionRow> {
  const record = (await db.session.findUniqueOrThrow({ where: { id }, select: sessionRowSelect })) as TSessionRecord;
  const maxIdle = await maxIdleByConfiguration([record]);
  return toSessionRow(record, actor, maxIdle.get(`${record.computerId}/${record.configurationName}`) ?? null);
}

export function idleRangeMessage({ sessionName, verb, value, minSec, maxSec }: { sessionName: string; verb: string; value: number; minSec: number; maxSec: number }) {
  return `The session ${sessionName} cannot be ${verb} because the specified idle timeout value ${value} (seconds) is either greater than the server maximum allowed ${maxSec} (seconds) or less than the minimum allowed ${minSec} (seconds). Choose an idle timeout value that is within the allowed range and try again.`;
}

export async function newSession({
  actor,
  input,
}: {
  actor: TSessionUser;
  input: { computerId: string; name: string; configurationName: string; idleTimeoutSec?: number; outputBufferingMode?: TOutputBufferingMode };
}): Promise<TSessionRow> {
  const computer = await db.computer.findUnique({ where: { id: input.computerId }, select: { id: true, name: true } });
  if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.computerId}.`);
  const config = await db.sessionConfiguration.findUnique({ where: { computerId_name: { computerId: computer.id, name: input.configurationName } } });
  if (!config) throw new AppError("NOT_FOUND", `${computer.name} has no session configuration named ${input.configurationName}.`);
  // Checked here first so the user gets a precise answer without a round trip; the agent re-checks.
  const maxSec = Math.floor(config.maxIdleTimeoutMs / 1000);
  if (input.idleTimeoutSec !== undefined && (input.idleTimeoutSec < config.minIdleTimeoutSec || input.idleTimeoutSec > maxSec)) {
    throw new AppError("INVALID_INPUT", idleRangeMessage({ sessionName: input.name, verb: "created", value: input.idleTimeoutSec, minSec: config.minIdleTimeoutSec, maxSec }), {
      idleTimeoutSec: [`must be between ${config.minIdleTimeoutSec} and ${maxSec}`],
    });
  }
  const inUse = (await liveUsage([computer.id])).get(usageKey(computer.id, config.name))?.shells ?? 0;
  if (inUse >= config.maxShells) {
    throw new AppError("QUOTA_EXCEEDED", `${computer.name} already runs ${inUse} of ${config.maxShells} shells allowed by ${config.name} (MaxShells).`);
  }
  const mine = await db.session.count({
    where: { computerId: computer.id, configurationName: config.name, ownerId: actor.id, state: { notIn: ["Closed", "Broken"] } },
  });
  if (mine >= config.maxShellsPerUser) {
    throw new AppError("QUOTA_EXCEEDED", `You already have ${mine} of ${config.maxShellsPerUser} shells allowed per user by ${config.name} on ${computer.name} (MaxShellsPerUser).`);
  }
  const link = fleet().link(computer.id);
  const view = await reachAgent({ computerId: computer.id, computerName: computer.name, sessionName: input.name }, () =>
    link.request(actAs(actor), (client, streamId) =>
      client.newSession(
        actAs(actor),
        { name: input.name, configurationName: input.configurationName, idleTimeoutSec: input.idleTimeoutSec, outputBufferingMode: input.outputBufferingMode },
        { streamId },
      ),
    ),
  );
  return rowAfter(actor, computer.id, view);
}

type TOp = { actor: TSessionUser; record: TSessionRecord };
type TDisconnectOptions = { idleTimeoutSec?: number; outputBufferingMode?: TOutputBufferingMode };

// The agent half of each operation: the agent's answer, nothing written yet (a bulk job
// batches the store's writes; the single actions below write at once).

export function disconnectOnAgent({ actor, record, idleTimeoutSec, outputBufferingMode }: TOp & TDisconnectOptions): Promise<TSessionSnapshot> {
  return fleet()
    .link(record.computerId)
    .request(actAs(actor), (c) => c.disconnect(actAs(actor), record.instanceId, { idleTimeoutSec, outputBufferingMode }));
}

export function connectOnAgent({ actor, record }: TOp): Promise<TSessionSnapshot> {
  return fleet()
    .link(record.computerId)
    .request(actAs(actor), (c, streamId) => c.connect(actAs(actor), record.instanceId, { streamId }));
}

export function removeOnAgent({ actor, record }: TOp): Promise<TSessionSnapshot> {
  const force = actor.role === "manager" || actor.role === "admin";
  return fleet()
    .link(record.computerId)
    .request(actAs(actor), (c) => c.remove(actAs(actor), record.instanceId, { force }));
}

/** Receive from the agent; the output joins the session's transcript (settled when `recorded` resolves). */
export async function receiveOnAgent({ actor, record }: TOp): Promise<ReceiveResult & { recorded: Promise<void> }> {
  const link = fleet().link(record.computerId);
  const r = await link.request(actAs(actor), (c, streamId) => c.receive(actAs(actor), record.instanceId, { streamId }));
  return { ...r, recorded: link.recordOutputAt(record.instanceId, r.offset, r.output) };
}

// The single actions below reach the agent through reachAgent: their intent is recorded first
// (lib/actions/intents.ts). Bulk jobs call the *OnAgent halves and audit each target themselves.
const agentTarget = (r: TSessionRecord): TAgentTarget => ({ computerId: r.computerId, computerName: r.computer.name, sessionId: r.id, sessionName: r.name, instanceId: r.instanceId });

export async function disconnectSession(op: TOp & TDisconnectOptions) {
  return rowAfter(op.actor, op.record.computerId, await reachAgent(agentTarget(op.record), () => disconnectOnAgent(op)));
}

export async function connectSession(op: TOp) {
  return rowAfter(op.actor, op.record.computerId, await reachAgent(agentTarget(op.record), () => connectOnAgent(op)));
}

export async function receiveSession({ actor, record, encoding = "utf8" }: TOp & { encoding?: "utf8" | "base64" }): Promise<TReceiveResult> {
  const r = await reachAgent(agentTarget(record), () => receiveOnAgent({ actor, record }));
  await r.recorded;
  return { session: await rowAfter(actor, record.computerId, r.session), output: r.output.toString(encoding), encoding, offset: r.offset, outputBytes: r.outputBytes, droppedBytes: r.droppedBytes };
}

export async function removeSession(op: TOp) {
  return rowAfter(op.actor, op.record.computerId, await reachAgent(agentTarget(op.record), () => removeOnAgent(op)));
}

export async function runCommand({ actor, record, command, inDisconnectedSession }: TOp & { command: string; inDisconnectedSession?: boolean }) {
  // Recorded before the agent starts it, so a fast command's "finished" event finds its row.
  const row = await db.sessionCommand.create({ data: { sessionId: record.id, actorId: actor.id, command }, select: { id: true } });
  let r;
  try {
    r = await reachAgent(agentTarget(record), () =>
      fleet()
        .link(record.computerId)
        .request(actAs(actor), (c) => c.run(actAs(actor), record.instanceId, { command, inDisconnectedSession })),
    );
  } catch (err) {
    await db.sessionCommand.delete({ where: { id: row.id } });
    throw err;
  }
  // The agent ran it: the command's row stays even if reading the session back fails.
  return rowAfter(actor, record.computerId, r.session);
}
