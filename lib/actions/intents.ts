import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import { appendSettlingIntents, redactParams, type TAuditInput } from "@/lib/audit/append";
import { db } from "@/lib/db/client";
import { AppError, DB_UNAVAILABLE_MESSAGE, isDbUnavailable } from "@/lib/errors";
import type { ActAs } from "@/lib/fleet/agent-client";
import { fleet } from "@/lib/fleet/fleet";
import { ingestSession } from "@/lib/fleet/ingest";
import { logger } from "@/lib/logger";
import type { TSessionView } from "@/lib/protocol";

// No effect without a record (issue 15). An action writes an ActionIntent row before it calls an
// agent (the database down then: the agent is not called, the user gets DB_UNAVAILABLE) and
// deletes it in the transaction that appends the audit event of its outcome. When that
// transaction fails (the database went away after the agent acted), the outcome waits here, in
// memory, with the time it happened, and is retried until it is written. An intent that outlives
// its process (a crash, or this memory's bound) is resolved against the agent's state by the
// sweep that runs when the console starts and whenever the database comes back.

export type TActor = { id: string | null; name: string; role: string };
export type TActionContext = {
  actor: TActor;
  action: string;
  params: Record<string, unknown>;
  /** Intents written by this action, settled with its outcome. */
  intentIds: string[];
  /** When the agent first answered yes: the action took effect, whatever the store does next. */
  reachedAt: Date | null;
};
export type TAgentTarget = {
  computerId: string;
  computerName: string;
  sessionId?: string | null;
  sessionName?: string | null;
  /** The agent's session, when the action targets one that exists already. */
  instanceId?: string | null;
};
type TPending = { event: TAuditInput & { at: Date }; intentIds: string[] };

/** How many unrecorded outcomes one process keeps; past it, the durable intent is left to the sweep. */
export const MAX_PENDING_OUTCOMES = 1000;
/** An intent of another process is only resolved once it is this old (that process may still settle it). */
export const FOREIGN_INTENT_GRACE_MS = 60_000;

// server.ts and Next's bundle each load this module: one store, one queue, one process token.
const g = globalThis as typeof globalThis & {
  __batonIntents?: { als: AsyncLocalStorage<TActionContext>; owner: string; pending: TPending[]; inFlight: Set<string>; timer: NodeJS.Timeout | null; delayMs: number; sweeping: Promise<number> | null };
};
const state = (g.__batonIntents ??= { als: new AsyncLocalStorage(), owner: crypto.randomUUID(), pending: [], inFlight: new Set(), timer: null, delayMs: 250, sweeping: null });

export function runInActionContext<T>(ctx: TActionContext, fn: () => Promise<T>): Promise<T> {
  return state.als.run(ctx, fn);
}

/**
 * Calls an agent for the current action, with its intent recorded first. Outside an action
 * (a bulk job audits each target itself; tests calling operations directly) it just calls.
 */
export async function reachAgent<T>(target: TAgentTarget, call: () => Promise<T>): Promise<T> {
  const ctx = state.als.getStore();
  if (!ctx) return call();
  const id = crypto.randomUUID();
  try {
    await db.actionIntent.create({
      data: {
        id,
        at: new Date(),
        owner: state.owner,
        actorId: ctx.actor.id,
        actorName: ctx.actor.name,
        actorRole: ctx.actor.role,
        action: ctx.action,
        computerId: target.computerId,
        computerName: target.computerName,
        sessionId: target.sessionId ?? null,
        sessionName: target.sessionName ?? null,
        instanceId: target.instanceId ?? null,
        params: redactParams(ctx.params),
      },
      select: { id: true },
    });
  } catch (err) {
    if (isDbUnavailable(err)) throw new AppError("DB_UNAVAILABLE", DB_UNAVAILABLE_MESSAGE);
    throw err;
  }
  ctx.intentIds.push(id);
  state.inFlight.add(id);
  const answer = await call();
  ctx.reachedAt ??= new Date();
  return answer;
}

/**
 * Records an action's outcome and settles its intents. When the database is unavailable and the
 * action reached an agent, the outcome is kept and retried; returns whether it was written now.
 */
export async function recordOutcome(ctx: TActionContext, event: TAuditInput): Promise<boolean> {
  const pending: TPending = { event: { ...event, at: event.at ?? new Date() }, intentIds: ctx.intentIds };
  try {
    await appendSettlingIntents(pending.event, pending.intentIds);
    release(pending);
    return true;
  } catch (err) {
    if (!isDbUnavailable(err)) {
      release(pending);
      throw err;
    }
    if (ctx.intentIds.length === 0) {
      // Nothing reached an agent: no effect to record, and no database to record the attempt in.
      logger.warn({ action: event.action, outcome: event.outcome, actorId: event.actor.id }, "action not audited: database unavailable");
      throw err;
    }
    keep(pending);
    return false;
  }
}

function release(p: TPending): void {
  for (const id of p.intentIds) state.inFlight.delete(id);
}

function keep(p: TPending): void {
  if (state.pending.length >= MAX_PENDING_OUTCOMES) {
    // The intent is in the database: the sweep will resolve it from the agent's state.
    release(p);
    logger.error({ action: p.event.action, intents: p.intentIds }, "unrecorded outcomes over the limit: left to the intent sweep");
  } else state.pending.push(p);
  schedule();
}

function schedule(): void {
  if (state.timer) return;
  state.timer = setTimeout(() => void flushPendingOutcomes(), state.delayMs);
  state.timer.unref?.();
}

/** Outcomes waiting for the database (tests, /readyz). */
export function pendingOutcomeCount(): number {
  return state.pending.length;
}

/** Writes the waiting outcomes, oldest first; after a success, sweeps intents nobody holds. */
export async function flushPendingOutcomes(): Promise<number> {
  state.timer = null;
  let written = 0;
  while (state.pending.length) {
    const p = state.pending[0];
    try {
      await appendSettlingIntents(p.event, p.intentIds);
    } catch (err) {
      if (!isDbUnavailable(err)) logger.error({ err, action: p.event.action }, "recording a late outcome failed");
      state.delayMs = Math.min(state.delayMs * 2, 5000);
      schedule();
      return written;
    }
    state.pending.shift();
    release(p);
    written++;
  }
  state.delayMs = 250;
  if (written) await sweepOpenIntents().catch((err) => logger.warn({ err }, "intent sweep failed"));
  return written;
}

/** How often open intents are looked at (they are also swept when the database comes back). */
export const INTENT_SWEEP_MS = 30_000;

/**
 * Sweeps now (the intents a stopped console left behind) and then periodically. A sweep that
 * cannot reach the database or an agent leaves the intent for the next one.
 */
export function startIntentSweeps(): () => void {
  const run = () => void sweepOpenIntents().catch((err) => logger.warn({ err }, "intent sweep failed"));
  run();
  const timer = setInterval(run, INTENT_SWEEP_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}

const EXPECTED: Record<string, (s: TSessionView, actorId: string | null) => boolean> = {
  "session.disconnect": (s) => s.state === "Disconnected",
  "session.connect": (s, actorId) => s.state === "Opened" && s.holder?.id === actorId,
  "session.receive": (s, actorId) => s.state === "Opened" && s.holder?.id === actorId,
  "session.remove": (s) => s.state === "Closed",
};

/**
 * Resolves intents whose action no longer holds them (their process stopped, or they fell out of
 * the memory bound) against the agent's state: one audit event each, exactly once. Returns how
 * many were resolved; an intent whose agent cannot be asked now stays for the next sweep.
 */
export function sweepOpenIntents(opts: { graceMs?: number } = {}): Promise<number> {
  state.sweeping ??= sweep(opts.graceMs ?? FOREIGN_INTENT_GRACE_MS).finally(() => (state.sweeping = null));
  return state.sweeping;
}

async function sweep(graceMs: number): Promise<number> {
  const held = new Set([...state.inFlight, ...state.pending.flatMap((p) => p.intentIds)]);
  const open = await db.actionIntent.findMany({ orderBy: { at: "asc" }, take: 500 });
  let resolved = 0;
  for (const intent of open) {
    if (held.has(intent.id)) continue;
    if (intent.owner !== state.owner && Date.now() - intent.at.getTime() < graceMs) continue;
    const verdict = await askAgent(intent).catch((err) => {
      logger.warn({ err, intent: intent.id, computer: intent.computerName }, "intent not resolved yet: agent unavailable");
      return null;
    });
    if (!verdict) continue;
    const event: TAuditInput = {
      actor: { id: intent.actorId, name: intent.actorName, role: intent.actorRole },
      action: intent.action,
      computerName: intent.computerName,
      sessionId: verdict.sessionId ?? intent.sessionId,
      sessionName: intent.sessionName,
      params: { ...(JSON.parse(intent.params) as Record<string, unknown>), resolvedFromAgent: true },
      ...verdict.outcome,
    };
    if (await appendSettlingIntents(event, [intent.id])) resolved++;
  }
  return resolved;
}

type TIntentRow = Awaited<ReturnType<typeof db.actionIntent.findMany>>[number];
type TVerdict = { sessionId?: string | null; outcome: Pick<TAuditInput, "outcome" | "error" | "at"> };

async function askAgent(intent: TIntentRow): Promise<TVerdict> {
  const as: ActAs = { id: intent.actorId ?? "console", name: intent.actorName, roles: [intent.actorRole] };
  const link = fleet().link(intent.computerId);
  const unknown = (what: string): TVerdict => ({
    outcome: { outcome: "error", at: intent.at, error: `INTERNAL: the console stopped before it recorded the agent's answer; ${what}` },
  });
  if (intent.action === "session.new") {
    const name = intent.sessionName ?? "";
    const found = (await link.request(as, (c) => c.listSessions(as, { name }))).filter(
      (s) => s.owner.id === intent.actorId && Date.parse(s.createdOn) >= intent.at.getTime() - 1000,
    );
    if (found.length === 0) return unknown(`${intent.computerName} has no session ${name} of ${intent.actorName} made since, so it was not created.`);
    const created = found[0];
    const sessionId = await ingestSession({ computerId: intent.computerId, snapshot: created }).catch(() => null);
    return { sessionId, outcome: { outcome: "ok", at: new Date(created.createdOn) } };
  }
  const expected = EXPECTED[intent.action];
  if (!intent.instanceId) return unknown("it named no agent session to check.");
  const sessions = await link.request(as, (c) => c.listSessions(as, { instanceId: intent.instanceId! }));
  const s = sessions[0];
  if (!s) return intent.action === "session.remove" ? { outcome: { outcome: "ok", at: intent.at } } : unknown(`${intent.computerName} no longer has that session.`);
  if (expected?.(s, intent.actorId)) return { outcome: { outcome: "ok", at: s.disconnectedOn && intent.action === "session.disconnect" ? new Date(s.disconnectedOn) : intent.at } };
  return unknown(`${intent.computerName} reports the session ${s.state}${s.holder ? `, held by ${s.holder.name}` : ""}; whether this action took effect is not known.`);
}
