import "server-only";
import type { z } from "zod";
import { runAction, type TActionDef } from "@/lib/actions/run-action";
import { appendAuditEvent } from "@/lib/audit/append";
import { userForAccessToken } from "@/lib/auth/access-tokens";
import type { TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError, ERROR_STATUS, mapPrismaError, type TErrorCode } from "@/lib/errors";
import { logger } from "@/lib/logger";

// The REST API's doors. /api/v1 authenticates with a personal access token in the Authorization
// header only, never the session cookie: a Bearer token is not an ambient credential (a page on
// another origin cannot make the browser attach it), so the API needs no CSRF defence and a
// non-browser client (curl, the CLI) sends no Origin. State changes go through runAction, the
// server actions' own wrapper: same role check, zod input, operation and audit event.

/** The one error shape of every /api/v1 response that is not a success. */
export type TApiError = { error: { code: TErrorCode; message: string; fieldErrors?: Record<string, string[]> } };

type TParams = Record<string, string>;
type TRouteContext = { params: Promise<TParams> };
type TInputCtx = { params: TParams; url: URL; body: Record<string, unknown> };

const HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

export const apiJson = (body: unknown, status = 200) => Response.json(body, { status, headers: HEADERS });

export function apiError(code: TErrorCode, message: string, fieldErrors?: Record<string, string[]>): Response {
  const error: TApiError["error"] = fieldErrors ? { code, message, fieldErrors } : { code, message };
  const headers = code === "UNAUTHENTICATED" ? { ...HEADERS, "www-authenticate": 'Bearer realm="baton"' } : HEADERS;
  return Response.json({ error }, { status: ERROR_STATUS[code], headers });
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The user a request's access token acts as. A refused token is audited (without its value). */
export async function authenticate(request: Request): Promise<TSessionUser> {
  const header = request.headers.get("authorization");
  const path = new URL(request.url).pathname;
  try {
    const match = header ? BEARER.exec(header) : null;
    if (!match) throw new AppError("UNAUTHENTICATED", "Send a personal access token as Authorization: Bearer <token>. Make one on the console's Access tokens page.");
    return await userForAccessToken(match[1]);
  } catch (caught) {
    if (caught instanceof AppError && header) {
      await appendAuditEvent({ actor: { id: null, name: "(anonymous)", role: "none" }, action: "api.authenticate", outcome: "refused", params: { method: request.method, path }, error: `${caught.code}: ${caught.message}` });
    }
    throw caught;
  }
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  if (request.method === "GET" || request.method === "HEAD") return {};
  const text = await request.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError("INVALID_INPUT", `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new AppError("INVALID_INPUT", "The request body must be a JSON object.");
  return value as Record<string, unknown>;
}

function failure(caught: unknown, what: string): Response {
  const err = mapPrismaError(caught);
  if (err instanceof AppError) return apiError(err.code, err.message, err.fieldErrors);
  logger.error({ err, what }, "api route failed");
  return apiError("INTERNAL", "Something went wrong on the server. The error has been logged.");
}

/**
 * A state-changing endpoint: the action definition the console's server action uses, with its
 * input built from the path, query and JSON body. `status` is the success status (201 for new).
 */
export function apiAction<S extends z.ZodType, T>(def: TActionDef<S, T>, inputOf: (ctx: TInputCtx) => unknown, opts: { status?: number } = {}) {
  return async (request: Request, context?: TRouteContext): Promise<Response> => {
    try {
      const user = await authenticate(request);
      const ctx = { params: (await context?.params) ?? {}, url: new URL(request.url), body: await readBody(request) };
      const result = await runAction(def, user, inputOf(ctx));
      if (!result.ok) return apiError(result.code, result.error, result.fieldErrors);
      return apiJson({ data: result.data }, opts.status ?? 200);
    } catch (caught) {
      return failure(caught, def.name);
    }
  };
}

/** A read endpoint: same token and role check; the data function puts the scope in its query. */
export function apiRead(roles: readonly TRole[], handler: (ctx: { user: TSessionUser; url: URL; params: TParams }) => Promise<unknown>) {
  return async (request: Request, context?: TRouteContext): Promise<Response> => {
    try {
      const user = await authenticate(request);
      if (!roles.includes(user.role)) throw new AppError("FORBIDDEN", `Your role (${user.role}) may not read ${new URL(request.url).pathname}.`);
      return apiJson({ data: await handler({ user, url: new URL(request.url), params: (await context?.params) ?? {} }) });
    } catch (caught) {
      return failure(caught, new URL(request.url).pathname);
    }
  };
}
