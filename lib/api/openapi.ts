import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { AREA_ROLES, SESSION_ACTOR_ROLES, type TRole } from "@/lib/auth/roles";
import { ZAuditFilters } from "@/lib/data/audit/schemas";
import { ZSessionFilters } from "@/lib/dto/sessions";
import { ERROR_STATUS } from "@/lib/errors";
import { ZDisconnect, ZHandOff, ZNewSession, ZPreviewBulk, ZReceive, ZRunCommand, ZStartBulk, ZTakeOver } from "@/lib/sessions/schemas";

// The REST API's OpenAPI document, generated from the same zod schemas the endpoints parse
// their input with. One entry per route file under app/api/v1 (a test keeps them in step).

const ZErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    message: z.string(),
    fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
  }),
});
const ZData = z.object({ data: z.unknown() });

const ZSessionIdParam = z.object({ id: z.string().regex(/^[a-z0-9]{20,40}$/) });
const ZJobIdParam = z.object({ jobId: z.uuid() });
const ZBulkWait = z.object({ wait: z.enum(["0", "1"]).optional() });
const withoutId = <T extends z.ZodObject>(s: T) => s.omit({ sessionId: true } as never);

type TEndpoint = {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  roles: readonly TRole[] | "any";
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  success?: number;
};

export const API_ENDPOINTS: readonly TEndpoint[] = [
  { method: "get", path: "/api/v1/me", summary: "Who the token acts as: user, role and token name", roles: "any" },
  { method: "get", path: "/api/v1/sessions", summary: "List sessions (Get-PSSession), with the sessions page's filters", roles: AREA_ROLES.sessions, query: ZSessionFilters },
  { method: "post", path: "/api/v1/sessions", summary: "New session (New-PSSession)", roles: SESSION_ACTOR_ROLES, body: ZNewSession, success: 201 },
  { method: "get", path: "/api/v1/sessions/{id}", summary: "One session with its configuration, commands and events", roles: AREA_ROLES.sessions, params: ZSessionIdParam },
  { method: "delete", path: "/api/v1/sessions/{id}", summary: "Remove a session (Remove-PSSession)", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam },
  { method: "post", path: "/api/v1/sessions/{id}/disconnect", summary: "Disconnect (Disconnect-PSSession -IdleTimeoutSec -OutputBufferingMode)", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam, body: withoutId(ZDisconnect) },
  { method: "post", path: "/api/v1/sessions/{id}/connect", summary: "Connect (Connect-PSSession)", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam },
  { method: "post", path: "/api/v1/sessions/{id}/receive", summary: "Receive the output produced while disconnected (Receive-PSSession); encoding base64 gives the bytes exactly", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam, body: withoutId(ZReceive) },
  { method: "post", path: "/api/v1/sessions/{id}/run", summary: "Run a command (Invoke-Command -Session [-InDisconnectedSession])", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam, body: withoutId(ZRunCommand) },
  { method: "post", path: "/api/v1/sessions/{id}/handoff", summary: "Hand the session to another user, with a reason", roles: SESSION_ACTOR_ROLES, params: ZSessionIdParam, body: withoutId(ZHandOff) },
  { method: "post", path: "/api/v1/sessions/{id}/take-over", summary: "Take over a session handed to you or of your team (managers)", roles: ["manager", "admin"], params: ZSessionIdParam, body: withoutId(ZTakeOver) },
  {
    method: "post",
    path: "/api/v1/sessions/preview",
    summary: "What an operation would do to each selected session (-WhatIf): its state now, the state it would end in (null: refused) and a note; changes nothing",
    roles: SESSION_ACTOR_ROLES,
    body: ZPreviewBulk,
  },
  { method: "post", path: "/api/v1/sessions/bulk", summary: "Start a bulk operation over sessions or a filter, at most throttleLimit agent requests in flight", roles: SESSION_ACTOR_ROLES, body: ZStartBulk, success: 202 },
  { method: "get", path: "/api/v1/sessions/bulk/{jobId}", summary: "A bulk job's progress and outcomes (wait=1: answer when it has finished, or after 25 s)", roles: SESSION_ACTOR_ROLES, params: ZJobIdParam, query: ZBulkWait },
  { method: "delete", path: "/api/v1/sessions/bulk/{jobId}", summary: "Cancel a bulk job: targets not yet started report cancelled (only the console instance running it can)", roles: SESSION_ACTOR_ROLES, params: ZJobIdParam },
  { method: "get", path: "/api/v1/computers", summary: "Computers with their session configurations and usage", roles: AREA_ROLES.computers },
  {
    method: "get",
    path: "/api/v1/audit",
    summary: "The audit trail, newest first, filtered; pages by event number (before or after, size 25, 50, 100 or 200)",
    roles: AREA_ROLES.audit,
    query: ZAuditFilters.extend({ before: z.string().optional(), after: z.string().optional(), size: z.enum(["25", "50", "100", "200"]).optional() }),
  },
  { method: "get", path: "/api/v1/openapi.json", summary: "This document", roles: "any" },
];

const ERROR_RESPONSES: Record<number, string> = {
  400: "INVALID_INPUT: the input, with the problem named",
  401: "UNAUTHENTICATED: no token, or a token that is unknown, revoked or expired",
  403: "FORBIDDEN: the token's role may not do this",
  404: "NOT_FOUND",
  409: "CONFLICT, QUOTA_EXCEEDED or INVALID_STATE",
  502: "AGENT_ERROR",
  503: "AGENT_UNAVAILABLE",
};

export function openApiDocument(serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A personal access token (baton_pat_…), made on the console's Access tokens page.",
  });
  for (const e of API_ENDPOINTS) {
    const open = e.path === "/api/v1/openapi.json";
    const roles = e.roles === "any" ? "any role" : e.roles.join(", ");
    const config: RouteConfig = {
      method: e.method,
      path: e.path,
      summary: e.summary,
      description: open ? "No token needed." : `Roles: ${roles}. Audited like the console's own action, naming the token.`,
      security: open ? [] : [{ [bearer.name]: [] }],
      request: {
        ...(e.params ? { params: e.params } : {}),
        ...(e.query ? { query: e.query } : {}),
        ...(e.body ? { body: { content: { "application/json": { schema: e.body } } } } : {}),
      },
      responses: {
        [e.success ?? 200]: { description: "Success: the result under data", content: { "application/json": { schema: ZData } } },
        ...Object.fromEntries(
          Object.entries(ERROR_RESPONSES)
            .filter(([status]) => !open && (e.body || e.query || status !== "400"))
            .map(([status, description]) => [status, { description, content: { "application/json": { schema: ZErrorBody } } }]),
        ),
      },
    };
    registry.registerPath(config);
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Baton REST API", version: "1", description: "Baton's sessions, computers and audit, as the console's actions do them: same permission checks and audit trail." },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
