import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { serveApi } from "@/lib/testing/api-server";
import { startDelayProxy, type DelayProxy } from "@/lib/testing/delay-proxy";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// The REST API's route handlers, called in-process against a real agent (behind a proxy the test
// can hold a request in) and a real SQLite store: personal access tokens (only a hash stored,
// refused at once when revoked or expired, also mid-way through a bulk job), the authorization
// matrix, the one error shape, malformed input, and the OpenAPI document against the route files.
prepareTestDatabase();
process.env.BATON_SECRET = "api-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const tokens = await import("@/lib/auth/access-tokens");
const { API_ENDPOINTS } = await import("@/lib/api/openapi");
import type { TSessionUser } from "@/lib/auth/session-store";
import type { TRole } from "@/lib/auth/roles";

const r = {
  me: await import("@/app/api/v1/me/route"),
  sessions: await import("@/app/api/v1/sessions/route"),
  session: await import("@/app/api/v1/sessions/[id]/route"),
  disconnect: await import("@/app/api/v1/sessions/[id]/disconnect/route"),
  connect: await import("@/app/api/v1/sessions/[id]/connect/route"),
  receive: await import("@/app/api/v1/sessions/[id]/receive/route"),
  run: await import("@/app/api/v1/sessions/[id]/run/route"),
  handoff: await import("@/app/api/v1/sessions/[id]/handoff/route"),
  takeOver: await import("@/app/api/v1/sessions/[id]/take-over/route"),
  bulk: await import("@/app/api/v1/sessions/bulk/route"),
  preview: await import("@/app/api/v1/sessions/preview/route"),
  bulkJob: await import("@/app/api/v1/sessions/bulk/[jobId]/route"),
  computers: await import("@/app/api/v1/computers/route"),
  audit: await import("@/app/api/v1/audit/route"),
  openapi: await import("@/app/api/v1/openapi.json/route"),
};

type THandler = (request: Request, context?: { params: Promise<Record<string, string>> }) => Promise<Response>;
type TCall = { token?: string | null; body?: unknown; rawBody?: string; params?: Record<string, string>; headers?: Record<string, string>; query?: string };

async function call(handler: THandler, method: string, urlPath: string, opts: TCall = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  const request = new Request(`http://127.0.0.1:3710${urlPath}${opts.query ?? ""}`, { method, headers, body });
  const response = await handler(request, { params: Promise.resolve(opts.params ?? {}) });
  const json = (await response.json()) as { data?: any; error?: { code: string; message: string; fieldErrors?: Record<string, string[]> } };
  return { status: response.status, headers: response.headers, ...json };
}

const user = (role: TRole, username: string): TSessionUser => ({ id: `u-${username}`, username, displayName: username, role, team: null });
const people = { technician: user("technician", "tech"), manager: user("manager", "boss"), helpdesk: user("helpdesk", "desk"), auditor: user("auditor", "aud"), admin: user("admin", "root") };
const tokenOf = {} as Record<TRole, string>;
const newToken = async (actor: TSessionUser, name: string, extra: { role?: TRole; expiresInDays?: number } = {}) =>
  (await tokens.createAccessToken({ actor, input: { name, expiresInDays: extra.expiresInDays ?? 30, role: extra.role } })).token;

let agent: RunningAgent;
let proxy: DelayProxy;
let fleet: InstanceType<typeof Fleet>;
let computerId: string;
// The next agent request matching this is held until the promise settles.
let holdNext: { match: (path: string) => boolean; until: () => Promise<void> } | null = null;

beforeAll(async () => {
  for (const u of Object.values(people)) await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  for (const [role, u] of Object.entries(people)) tokenOf[role as TRole] = await newToken(u, "matrix");
  agent = await startAgent({ name: "ApiSrv", configurations: [{ name: "Microsoft.PowerShell", maxShells: 50, maxShellsPerUser: 50 }] });
  proxy = await startDelayProxy({
    target: agent.baseUrl,
    delayMs: 0,
    hold: (_method, p) => {
      if (!holdNext?.match(p)) return undefined;
      const h = holdNext;
      holdNext = null;
      return h.until();
    },
  });
  const c = await db.computer.create({ data: { name: "ApiSrv", address: proxy.baseUrl, tokenCiphertext: seal(agent.token) } });
  computerId = c.id;
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await proxy?.close();
  if (agent && agent.proc.exitCode === null && agent.proc.signalCode === null) await agent.stop();
});

const lastAudit = (action: string) => db.auditEvent.findFirst({ where: { action }, orderBy: { seq: "desc" } });

describe("personal access tokens", () => {
  it("stores only the token's hash, shows it once, and names it in the audit trail, never its value", async () => {
    const { token, row } = await tokens.createAccessToken({ actor: people.technician, input: { name: "nightly", expiresInDays: 7 } });
    expect(token).toMatch(/^baton_pat_[A-Za-z0-9_-]{43}$/);
    const stored = await db.accessToken.findUniqueOrThrow({ where: { id: row.id }, omit: { tokenHash: false } });
    expect(stored.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(await tokens.listAccessTokens({ actor: people.technician }))).not.toContain(token);

    const me = await call(r.me.GET, "GET", "/api/v1/me", { token });
    expect(me.status).toBe(200);
    expect(me.data).toMatchObject({ username: "tech", role: "technician", token: { id: row.id, name: "nightly" } });

    // A refused action made with the token is audited under the user, naming the token.
    const refused = await call(r.connect.POST, "POST", "/api/v1/sessions/x/connect", { token, params: { id: "c".repeat(25) } });
    expect(refused).toMatchObject({ status: 404, error: { code: "NOT_FOUND" } });
    const event = await lastAudit("session.connect");
    expect(event).toMatchObject({ actorName: "tech", actorRole: "technician", outcome: "refused" });
    expect(JSON.parse(event!.params).via).toEqual({ credential: "personal access token", name: "nightly", id: row.id });
    const everything = JSON.stringify(await db.auditEvent.findMany());
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(stored.tokenHash);
  });

  it("refuses a missing, malformed, unknown, revoked or expired token with 401 and a reason, and ignores the session cookie", async () => {
    const none = await call(r.me.GET, "GET", "/api/v1/me", { headers: { cookie: "baton_session=whatever" } });
    expect(none).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
    expect(none.error!.message).toMatch(/Authorization: Bearer/);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await call(r.me.GET, "GET", "/api/v1/me", { headers: { authorization: "Basic dGVjaDp4" } })).status).toBe(401);
    const unknown = `baton_pat_${"A".repeat(43)}`;
    const wrong = await call(r.me.GET, "GET", "/api/v1/me", { token: unknown });
    expect(wrong).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED", message: "The access token is not valid." } });
    const audited = await lastAudit("api.authenticate");
    expect(audited).toMatchObject({ outcome: "refused", actorName: "(anonymous)" });
    expect(JSON.stringify(audited)).not.toContain(unknown);

    const token = await newToken(people.manager, "short-lived");
    expect((await call(r.me.GET, "GET", "/api/v1/me", { token })).status).toBe(200);
    const id = (await db.accessToken.findFirstOrThrow({ where: { name: "short-lived" } })).id;
    await db.accessToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await call(r.me.GET, "GET", "/api/v1/me", { token });
    expect(expired).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
    expect(expired.error!.message).toMatch(/^The access token short-lived expired at /);

    const other = await newToken(people.manager, "to-revoke");
    expect((await call(r.sessions.GET, "GET", "/api/v1/sessions", { token: other })).status).toBe(200);
    const revoked = await tokens.revokeAccessToken({ actor: people.manager, tokenId: (await db.accessToken.findFirstOrThrow({ where: { name: "to-revoke" } })).id });
    expect(revoked.status).toBe("revoked");
    const after = await call(r.sessions.GET, "GET", "/api/v1/sessions", { token: other });
    expect(after).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
    expect(after.error!.message).toMatch(/^The access token to-revoke was revoked at /);
  });

  it("gives a token with a narrower role only that role, and refuses a role wider than its user's", async () => {
    const token = await newToken(people.manager, "read-only", { role: "helpdesk" });
    expect((await call(r.me.GET, "GET", "/api/v1/me", { token })).data).toMatchObject({ username: "boss", role: "helpdesk" });
    expect((await call(r.sessions.GET, "GET", "/api/v1/sessions", { token })).status).toBe(200);
    const refused = await call(r.sessions.POST, "POST", "/api/v1/sessions", { token, body: { computerId, name: "Nope", configurationName: "Microsoft.PowerShell" } });
    expect(refused).toMatchObject({ status: 403, error: { code: "FORBIDDEN", message: "Your role (helpdesk) may not session new." } });
    expect(await db.session.count({ where: { name: "Nope" } })).toBe(0);
    expect(await lastAudit("session.new")).toMatchObject({ actorName: "boss", actorRole: "helpdesk", outcome: "refused" });
    const trail = await call(r.audit.GET, "GET", "/api/v1/audit", { token: tokenOf.auditor, query: "?action=session.new&actor=boss&size=25" });
    expect(trail.status).toBe(200);
    expect(JSON.stringify(trail.data.rows[0])).toContain("read-only");
    expect((await call(r.audit.GET, "GET", "/api/v1/audit", { token: tokenOf.auditor, query: "?size=7" })).error).toMatchObject({ code: "INVALID_INPUT" });

    await expect(tokens.createAccessToken({ actor: people.technician, input: { name: "wider", expiresInDays: 1, role: "admin" } })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    // A token made when its user had more rights stops working when the user loses them.
    const demoted = await newToken(people.admin, "admin-made", { role: "manager" });
    await db.user.update({ where: { id: people.admin.id }, data: { role: "auditor" } });
    try {
      const refusedNow = await call(r.me.GET, "GET", "/api/v1/me", { token: demoted });
      expect(refusedNow.status).toBe(401);
      expect(refusedNow.error!.message).toContain("has the role manager, which your current role (auditor) does not include");
    } finally {
      await db.user.update({ where: { id: people.admin.id }, data: { role: "admin" } });
    }
  });
});

describe("authorization matrix: 5 roles × every endpoint", () => {
  const id = "z".repeat(25);
  const jobId = "00000000-0000-4000-8000-000000000000";
  type TCase = { endpoint: string; handler: () => THandler; opts: TCall; allowed: TRole[] };
  const actors: TRole[] = ["technician", "manager", "admin"];
  const sessionReaders: TRole[] = ["technician", "manager", "helpdesk", "admin"];
  const cases: TCase[] = [
    { endpoint: "GET /me", handler: () => r.me.GET, opts: {}, allowed: ["technician", "manager", "helpdesk", "auditor", "admin"] },
    { endpoint: "GET /sessions", handler: () => r.sessions.GET, opts: {}, allowed: sessionReaders },
    { endpoint: "POST /sessions", handler: () => r.sessions.POST, opts: { body: { computerId: id, name: "M", configurationName: "Microsoft.PowerShell" } }, allowed: actors },
    { endpoint: "GET /sessions/{id}", handler: () => r.session.GET, opts: { params: { id } }, allowed: sessionReaders },
    { endpoint: "DELETE /sessions/{id}", handler: () => r.session.DELETE, opts: { params: { id } }, allowed: actors },
    { endpoint: "POST /sessions/{id}/disconnect", handler: () => r.disconnect.POST, opts: { params: { id }, body: {} }, allowed: actors },
    { endpoint: "POST /sessions/{id}/connect", handler: () => r.connect.POST, opts: { params: { id } }, allowed: actors },
    { endpoint: "POST /sessions/{id}/receive", handler: () => r.receive.POST, opts: { params: { id } }, allowed: actors },
    { endpoint: "POST /sessions/{id}/run", handler: () => r.run.POST, opts: { params: { id }, body: { command: "true" } }, allowed: actors },
    { endpoint: "POST /sessions/{id}/handoff", handler: () => r.handoff.POST, opts: { params: { id }, body: { toUsername: "boss", reason: "ticket 1" } }, allowed: actors },
    { endpoint: "POST /sessions/{id}/take-over", handler: () => r.takeOver.POST, opts: { params: { id }, body: { reason: "ticket 1" } }, allowed: ["manager", "admin"] },
    { endpoint: "POST /sessions/preview", handler: () => r.preview.POST, opts: { body: { operation: "disconnect", sessionIds: [id] } }, allowed: actors },
    { endpoint: "POST /sessions/bulk", handler: () => r.bulk.POST, opts: { body: { operation: "disconnect", sessionIds: [id] } }, allowed: actors },
    { endpoint: "GET /sessions/bulk/{jobId}", handler: () => r.bulkJob.GET, opts: { params: { jobId } }, allowed: actors },
    { endpoint: "DELETE /sessions/bulk/{jobId}", handler: () => r.bulkJob.DELETE, opts: { params: { jobId } }, allowed: actors },
    { endpoint: "GET /computers", handler: () => r.computers.GET, opts: {}, allowed: sessionReaders },
    { endpoint: "GET /audit", handler: () => r.audit.GET, opts: { query: "?action=session.new&size=25" }, allowed: ["auditor", "admin"] },
  ];
  const table = cases.flatMap((c) => (Object.keys(people) as TRole[]).map((role) => ({ ...c, role, allow: c.allowed.includes(role) })));

  it("covers every endpoint of the OpenAPI document but the public one", () => {
    const documented = API_ENDPOINTS.filter((e) => e.roles !== "any" || e.path === "/api/v1/me").map((e) => `${e.method.toUpperCase()} ${e.path.replace("/api/v1", "")}`);
    expect(cases.map((c) => c.endpoint).sort()).toEqual(documented.sort());
  });

  it.each(table)("$endpoint as $role: $allow", async ({ endpoint, handler, opts, role, allow }) => {
    const [method, p] = endpoint.split(" ");
    const res = await call(handler(), method, `/api/v1${p}`, { ...opts, token: tokenOf[role] });
    if (allow) {
      expect(res.status, JSON.stringify(res.error)).toBeLessThan(500);
      expect([401, 403]).not.toContain(res.status);
    } else {
      expect(res).toMatchObject({ status: 403, error: { code: "FORBIDDEN" } });
    }
  });
});

describe("sessions through the API", () => {
  it("runs the operations as the console does, with one error shape for bad input that changes nothing", async () => {
    const token = tokenOf.technician;
    const created = await call(r.sessions.POST, "POST", "/api/v1/sessions", { token, body: { computerId, name: "ApiTask", configurationName: "Microsoft.PowerShell" } });
    expect(created, JSON.stringify(created.error)).toMatchObject({ status: 201, data: { name: "ApiTask", computerName: "ApiSrv", state: "Opened", ownerName: "tech" } });
    const sessionId = created.data.id as string;
    const ran = await call(r.run.POST, "POST", "/api/v1/sessions/x/run", { token, params: { id: sessionId }, body: { command: "echo from-api" } });
    expect(ran.status).toBe(200);

    const badJson = await call(r.disconnect.POST, "POST", "/api/v1/sessions/x/disconnect", { token, params: { id: sessionId }, rawBody: "{idleTimeoutSec: 60" });
    expect(badJson).toMatchObject({ status: 400, error: { code: "INVALID_INPUT" } });
    expect(badJson.error!.message).toMatch(/^The request body is not valid JSON/);
    const asText = await call(r.disconnect.POST, "POST", "/api/v1/sessions/x/disconnect", { token, params: { id: sessionId }, body: { idleTimeoutSec: "600" } });
    expect(asText).toMatchObject({ status: 400, error: { code: "INVALID_INPUT", fieldErrors: { idleTimeoutSec: ["must be a number of seconds"] } } });
    // The help page's Example 4: out of range names the session, the value and both limits.
    const outOfRange = await call(r.disconnect.POST, "POST", "/api/v1/sessions/x/disconnect", { token, params: { id: sessionId }, body: { idleTimeoutSec: 30 } });
    expect(outOfRange).toMatchObject({ status: 400, error: { code: "INVALID_INPUT" } });
    expect(outOfRange.error!.message).toMatch(/^The session ApiTask cannot be disconnected because the specified idle timeout value 30 \(seconds\)/);
    expect((await call(r.session.GET, "GET", "/api/v1/sessions/x", { token, params: { id: sessionId } })).data.session.state).toBe("Opened");

    const disconnected = await call(r.disconnect.POST, "POST", "/api/v1/sessions/x/disconnect", { token, params: { id: sessionId }, body: { idleTimeoutSec: 600, outputBufferingMode: "Drop" } });
    expect(disconnected).toMatchObject({ status: 200, data: { state: "Disconnected", availability: "None" } });
    expect(await lastAudit("session.disconnect")).toMatchObject({ actorName: "tech", outcome: "ok", sessionName: "ApiTask", computerName: "ApiSrv" });

    const listed = await call(r.sessions.GET, "GET", "/api/v1/sessions", { token, query: "?name=Api*&state=Disconnected" });
    expect(listed.data.rows.map((s: { name: string }) => s.name)).toEqual(["ApiTask"]);
    const badFilter = await call(r.sessions.GET, "GET", "/api/v1/sessions", { token, query: "?state=Sleeping" });
    expect(badFilter).toMatchObject({ status: 400, error: { code: "INVALID_INPUT" } });

    const received = await call(r.receive.POST, "POST", "/api/v1/sessions/x/receive", { token, params: { id: sessionId } });
    expect(received).toMatchObject({ status: 200, data: { session: { state: "Opened" } } });
    const removed = await call(r.session.DELETE, "DELETE", "/api/v1/sessions/x", { token, params: { id: sessionId } });
    expect(removed).toMatchObject({ status: 200, data: { state: "Closed" } });
  });

  it("stops a bulk job as soon as its token is revoked: the rest of the targets are refused", async () => {
    const { token, row } = await tokens.createAccessToken({ actor: people.technician, input: { name: "bulk-run", expiresInDays: 1 } });
    for (const n of ["Bulk1", "Bulk2", "Bulk3", "Bulk4"]) {
      const res = await call(r.sessions.POST, "POST", "/api/v1/sessions", { token, body: { computerId, name: n, configurationName: "Microsoft.PowerShell" } });
      expect(res.status).toBe(201);
    }
    // The first target's request to the agent waits until the token has been revoked.
    holdNext = { match: (p) => p.endsWith("/disconnect"), until: async () => void (await tokens.revokeAccessToken({ actor: people.technician, tokenId: row.id })) };
    const started = await call(r.bulk.POST, "POST", "/api/v1/sessions/bulk", { token, body: { operation: "disconnect", filters: { name: "Bulk*" }, throttleLimit: 1, idleTimeoutSec: 600 } });
    expect(started).toMatchObject({ status: 202, data: { total: 4 } });
    const { bulkJobOf } = await import("@/lib/sessions/bulk");
    const outcomes = await (await bulkJobOf({ ...people.technician }, started.data.jobId))!.done!;
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, false]);
    for (const o of outcomes.slice(1)) expect(o.error).toMatch(/^The access token bulk-run was revoked at /);
    const refused = await db.auditEvent.findMany({ where: { action: "session.disconnect", outcome: "refused", sessionName: { startsWith: "Bulk" } } });
    expect(refused).toHaveLength(3);
    for (const e of refused) expect(JSON.parse(e.params).via).toMatchObject({ name: "bulk-run", id: row.id });
    // Following the job needs a live token too.
    expect((await call(r.bulkJob.GET, "GET", "/api/v1/sessions/bulk/x", { token, params: { jobId: started.data.jobId } })).status).toBe(401);
    expect((await call(r.bulkJob.GET, "GET", "/api/v1/sessions/bulk/x", { token: tokenOf.technician, params: { jobId: started.data.jobId }, query: "?wait=1" })).data).toMatchObject({ finished: true, total: 4 });
  });
});

describe("OpenAPI", () => {
  const routeFiles = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === "route.ts" ? [path.join(dir, e.name)] : []));

  it("documents exactly the methods of the route files under app/api/v1, generated from the input schemas", async () => {
    const root = path.join(REPO_ROOT, "app/api/v1");
    const fromFiles = routeFiles(root).flatMap((file) => {
      const urlPath = "/api/v1/" + path.relative(root, path.dirname(file)).split(path.sep).map((s) => s.replace(/^\[(\w+)\]$/, "{$1}")).join("/");
      const methods = [...fs.readFileSync(file, "utf8").matchAll(/^export const (GET|POST|PUT|PATCH|DELETE) =/gm)].map((m) => m[1]);
      expect(methods.length, `${file} exports no handler`).toBeGreaterThan(0);
      return methods.map((m) => `${m} ${urlPath}`);
    });
    const res = await call(r.openapi.GET as unknown as THandler, "GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = res as unknown as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(fromFiles.sort());

    // The request bodies come from the zod schemas the endpoints parse with.
    const disconnect = doc.paths["/api/v1/sessions/{id}/disconnect"].post;
    const schema = disconnect.requestBody.content["application/json"].schema;
    expect(schema.properties.outputBufferingMode.enum).toEqual(["Block", "Drop", "None"]);
    expect(schema.properties.idleTimeoutSec).toMatchObject({ type: "integer", minimum: 1 });
    expect(disconnect.security).toEqual([{ bearer: [] }]);
    expect(disconnect.responses["401"].content["application/json"].schema).toBeDefined();
  });
});

// The CLI as a child process against these route handlers, served over real HTTP (lib/testing/api-server.ts).

function shell(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { cwd: REPO_ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("baton CLI", () => {
  let served: { url: string; close: () => Promise<void> };
  beforeAll(async () => void (served = await serveApi()));
  afterAll(() => served?.close());

  it("pipes get-session --json into disconnect-session, refuses Example 4 with its message and exit code 1, and exit code 3 for a bad token", async () => {
    {
      const token = tokenOf.technician;
      for (const n of ["Pipe1", "Pipe2", "Other1"]) {
        expect((await call(r.sessions.POST, "POST", "/api/v1/sessions", { token, body: { computerId, name: n, configurationName: "Microsoft.PowerShell" } })).status).toBe(201);
      }
      const env = { BATON_URL: served.url, BATON_TOKEN: token, BATON_CONFIG: "/nonexistent/baton.json" };

      const listed = await shell("node bin/baton.mjs get-session --computer-name ApiSrv --name 'Pipe*'", env);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout.split("\n")[0]).toMatch(/^Id +Name +ComputerName +State +ConfigurationName +Availability$/);
      expect(listed.stdout).toMatch(/Pipe1 +ApiSrv +Opened +Microsoft\.PowerShell +Available/);

      const piped = await shell("node bin/baton.mjs get-session --name 'Pipe*' --json | node bin/baton.mjs disconnect-session --idle-timeout-sec 600 --output-buffering-mode Drop --json", env);
      expect(piped.code, piped.stderr).toBe(0);
      const outcomes = piped.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(outcomes.map((o) => [o.name, o.ok, o.state]).sort()).toEqual([["Pipe1", true, "Disconnected"], ["Pipe2", true, "Disconnected"]]);
      expect(piped.stderr).toContain("disconnect: 2/2 done");
      const other = await db.session.findFirstOrThrow({ where: { name: "Other1" } });
      expect(other.state).toBe("Opened");
      const audited = await db.auditEvent.findMany({ where: { action: "session.disconnect", outcome: "ok", sessionName: { startsWith: "Pipe" } } });
      expect(audited).toHaveLength(2);
      for (const e of audited) expect(JSON.parse(e.params).via).toMatchObject({ name: "matrix" });

      const example4 = await shell("node bin/baton.mjs disconnect-session -n Other1 --idle-timeout-sec 86400", env);
      expect(example4.code).toBe(1);
      expect(example4.stderr).toContain("ApiSrv/Other1: The session Other1 cannot be disconnected because the specified idle timeout value 86400 (seconds) is either greater than the server maximum allowed 43200 (seconds)");
      expect((await db.session.findFirstOrThrow({ where: { name: "Other1" } })).state).toBe("Opened");

      const badToken = await shell("node bin/baton.mjs get-session", { ...env, BATON_TOKEN: `baton_pat_${"B".repeat(43)}` });
      expect(badToken).toMatchObject({ code: 3, stdout: "" });
      expect(badToken.stderr).toBe("baton: The access token is not valid.\n");
      const notJson = await shell("echo 'not json' | node bin/baton.mjs disconnect-session", env);
      expect(notJson.code).toBe(2);
      expect(notJson.stderr).toContain("stdin line 1 is not JSON");
    }
  }, 120_000);

  it("receive-session writes the session's bytes to stdout unchanged, also bytes that are not UTF-8", async () => {
    const token = tokenOf.technician;
    const created = await call(r.sessions.POST, "POST", "/api/v1/sessions", { token, body: { computerId, name: "Binary1", configurationName: "Microsoft.PowerShell" } });
    const id = created.data.id as string;
    const ran = await call(r.run.POST, "POST", "/api/v1/sessions/x/run", { token, params: { id }, body: { command: "printf 'bin:\\377\\376\\200\\001:end'", inDisconnectedSession: true } });
    expect(ran, JSON.stringify(ran.error)).toMatchObject({ status: 200, data: { state: "Disconnected" } });
    await until(async () => (await db.session.findUniqueOrThrow({ where: { id } })).runningCommand === null || null, { what: "command finished" });
    const out = await new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) =>
      execFile("node", ["bin/baton.mjs", "receive-session", "--id", id], { cwd: REPO_ROOT, encoding: "buffer", env: { ...process.env, BATON_URL: served.url, BATON_TOKEN: token } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
      ),
    );
    expect(out.code, out.stderr).toBe(0);
    const at = out.stdout.indexOf("bin:\xff", 0, "latin1");
    expect(at, out.stdout.toString("latin1")).toBeGreaterThanOrEqual(0);
    expect(out.stdout.subarray(at, at + 12)).toEqual(Buffer.from([...Buffer.from("bin:"), 0xff, 0xfe, 0x80, 0x01, ...Buffer.from(":end")]));
  }, 120_000);
});
