import { z } from "zod";
import { appendAuditEvent, auditActorOf } from "@/lib/audit/append";
import type { TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError, mapPrismaError } from "@/lib/errors";
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

  // A refusal names the session the input aimed at even when the handler never got to look it up.
  const refuse = async (err: AppError, params: Record<string, unknown>, target: TAuditTarget = {}) => {
    const named = target.sessionId ? target : { ...(await sessionTargetOf(raw)), ...target };
    await appendAuditEvent({ actor, action: def.name, outcome: err.code === "INTERNAL" ? "error" : "refused", params, error: `${err.code}: ${err.message}`, ...named });
    return { ok: false as const, code: err.code, error: err.message, ...(err.fieldErrors ? { fieldErrors: err.fieldErrors } : {}) };
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
  const target: TAuditTarget = { ...def.target?.(input) };
  const setTarget = (t: TAuditTarget) => Object.assign(target, t);
  try {
    const data = await def.handler({ user, input, setTarget });
    await appendAuditEvent({ actor, action: def.name, outcome: "ok", params, ...target });
    return { ok: true, data };
  } catch (caught) {
    const err = mapPrismaError(caught);
    if (err instanceof AppError) return refuse(err, params, target);
    logger.error({ err, action: def.name, userId: user.id }, "action failed");
    return refuse(new AppError("INTERNAL", "Something went wrong on the server. The error has been logged."), params, target);
  }
}
