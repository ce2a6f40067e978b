import { z } from "zod";
import { recordOutcome, runInActionContext, type TActionContext } from "@/lib/actions/intents";
import { auditActorOf } from "@/lib/audit/append";
import type { TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError, DB_UNAVAILABLE_MESSAGE, isDbUnavailable, mapPrismaError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import type { TActionResult } from "@/lib/actions/result";
import { sessionTargetOf } from "@/lib/actions/session-target";

export type TAuditTarget = { computerName?: string | null; sessionId?: string | null; sessionName?: string | null };

export type TActionDef<S extends z.ZodType, T> = {
  /** Audit action name, e.g. "user.create". */
  name: string;
  roles: readonly TRole[];
  input: S;
  /** What the audit event names as the target, from the parsed input (before the handler runs). */
  target?: (input: z.infer<S>) => TAuditTarget;
  /** What the user is told when the agent acted but the database could not record it yet, e.g. "The session was created". */
  done?: string;
  /** `setTarget` lets the handler name what it acted on once it has looked it up. */
  handler: (ctx: { user: TSessionUser; input: z.infer<S>; setTarget: (t: TAuditTarget) => void }) => Promise<T>;
};

const ANONYMOUS = { id: null, name: "(anonymous)", role: "none" };

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.join(".") || "_"] ??= []).push(issue.message);
  return out;
}

// The one path every server action takes: session, role, input, handler, audit, typed result.
// Refusals are audited too; the audit event is written before the result is returned.
export async function runAction<S extends z.ZodType, T>(
  def: TActionDef<S, T>,
  user: TSessionUser | null,
  raw: unknown,
): Promise<TActionResult<T>> {
  const actor = user ? auditActorOf(user) : ANONYMOUS;
  const rawParams = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { input: raw };

  const ctx: TActionContext = { actor, action: def.name, params: rawParams, intentIds: [], reachedAt: null };
  return runInActionContext(ctx, () => perform(def, user, raw, ctx));
}

async function perform<S extends z.ZodType, T>(def: TActionDef<S, T>, user: TSessionUser | null, raw: unknown, ctx: TActionContext): Promise<TActionResult<T>> {
  const { actor } = ctx;
  const rawParams = ctx.params;
  // The agent acted but the store could not record it: the outcome is kept and written later,
  // and the user is told exactly that (never that it was refused).
  const unrecorded = () => ({
    ok: false as const,
    code: "DB_UNAVAILABLE" as const,
    error: `${def.done ?? `${def.name} reached the computer`}, but the console could not record it yet; it will appear shortly.`,
  });
  const unavailable = () => ({ ok: false as const, code: "DB_UNAVAILABLE" as const, error: DB_UNAVAILABLE_MESSAGE });

  // A refusal names the session the input aimed at even when the handler never got to look it up.
  const refuse = async (err: AppError, params: Record<string, unknown>, target: TAuditTarget = {}) => {
    const result = { ok: false as const, code: err.code, error: err.message, ...(err.fieldErrors ? { fieldErrors: err.fieldErrors } : {}) };
    try {
      const named = target.sessionId ? target : { ...(await sessionTargetOf(raw)), ...target };
      await recordOutcome(ctx, { actor, action: def.name, outcome: err.code === "INTERNAL" ? "error" : "refused", params, error: `${err.code}: ${err.message}`, ...named });
    } catch (caught) {
      // Nothing reached an agent and the database is away: the refusal stands, unrecorded.
      if (isDbUnavailable(caught)) {
        logger.warn({ action: def.name, code: err.code, userId: actor.id }, "refusal not audited: database unavailable");
        return result;
      }
      throw caught;
    }
    return result;
  };

  if (!user) return refuse(new AppError("UNAUTHENTICATED", "You are not signed in. Sign in and try again."), rawParams);
  if (!def.roles.includes(user.role)) {
    return refuse(new AppError("FORBIDDEN", `Your role (${user.role}) may not ${def.name.replace(".", " ")}.`), rawParams);
  }
  const parsed = def.input.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors = fieldErrorsOf(parsed.error);
    const summary = Object.entries(fieldErrors).map(([k, v]) => `${k}: ${v[0]}`).join("; ");
    return refuse(new AppError("INVALID_INPUT", `Invalid input: ${summary}`, fieldErrors), rawParams);
  }
  const input = parsed.data as z.infer<S>;
  const params = input && typeof input === "object" ? (input as Record<string, unknown>) : { input };
  ctx.params = params;
  const target: TAuditTarget = { ...def.target?.(input) };
  const setTarget = (t: TAuditTarget) => Object.assign(target, t);
  let data: T;
  try {
    data = await def.handler({ user, input, setTarget });
  } catch (caught) {
    const err = mapPrismaError(caught);
    if (ctx.reachedAt && err instanceof AppError && err.code === "DB_UNAVAILABLE") {
      // The agent said yes, then the store went away (reading the row back, ingesting the answer).
      await recordOutcome(ctx, { actor, action: def.name, outcome: "ok", params, at: ctx.reachedAt, ...target }).catch(() => undefined);
      return unrecorded();
    }
    if (err instanceof AppError) return refuse(err, params, target);
    logger.error({ err, action: def.name, userId: user.id }, "action failed");
    return refuse(new AppError("INTERNAL", "Something went wrong on the server. The error has been logged."), params, target);
  }
  try {
    // Stamped now, when the action finished, also when the database takes it only later.
    const written = await recordOutcome(ctx, { actor, action: def.name, outcome: "ok", params, ...target });
    return written ? { ok: true, data } : unrecorded();
  } catch (caught) {
    if (isDbUnavailable(caught)) return unavailable();
    throw caught;
  }
}
