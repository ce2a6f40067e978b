import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import type { TSessionUser } from "@/lib/auth/session-store";
import { startDelayProxy, type DelayProxy } from "@/lib/testing/delay-proxy";
import { createTestPostgresDatabase } from "@/lib/testing/shared-services";
import { TcpRelay } from "@/lib/testing/tcp-relay";

// No effect without a record, on a real PostgreSQL behind a TCP relay the test cuts, and a real
// agent behind an HTTP proxy that tells the test when a request reaches it: the database goes
// away after the action's intent is written and before the agent answers; the outcome is
// recorded, once, when it is back. With the database away before the action, the agent is not
// called. /readyz's checks follow the database.
const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };

let relay: TcpRelay;
let agent: RunningAgent;
let agentProxy: DelayProxy;
let computerId: string;
/** Called once when the next counted agent request arrives (before it is forwarded). */
let onAgentRequest: (() => void) | null = null;

process.env.LOG_LEVEL = "silent";
process.env.BATON_SECRET = "intents-test-secret-0123456789abcdef0123456789";
const directUrl = await createTestPostgresDatabase("baton_intents");
relay = await TcpRelay.to(directUrl);
process.env.DATABASE_URL = relay.via(directUrl);
const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-intents-audit-"));
process.env.BATON_AUDIT_KEY_FILE = path.join(auditDir, "audit-keys.json");
process.env.BATON_AUDIT_CHECKPOINT_DIR = path.join(auditDir, "checkpoints");
execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: path.resolve(import.meta.dirname, "../.."), env: { ...process.env, DATABASE_URL: directUrl }, stdio: "pipe" });

const { db } = await import("@/lib/db/client");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const { runAction } = await import("@/lib/actions/run-action");
const intents = await import("@/lib/actions/intents");
const { newSession } = await import("@/lib/sessions/operations");
const { ZNewSession } = await import("@/lib/sessions/schemas");
const { SESSION_ACTOR_ROLES } = await import("@/lib/auth/roles");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { readiness } = await import("@/lib/http/readiness");
const { seal } = await import("@/lib/crypto/secret-box");
const { actAs } = await import("@/lib/fleet/act-as");

let fleet: InstanceType<typeof Fleet>;

// The console's "New session" action, as app/(console)/sessions/actions.ts defines it.
const newSessionDef = {
  name: "session.new",
  done: "The session was created",
  roles: SESSION_ACTOR_ROLES,
  input: ZNewSession,
  target: (i: { name: string }) => ({ sessionName: i.name }),
  handler: async ({ user, input, setTarget }: { user: TSessionUser; input: Parameters<typeof newSession>[0]["input"]; setTarget: (t: object) => void }) => {
    const row = await newSession({ actor: user, input });
    setTarget({ sessionId: row.id, computerName: row.computerName });
    return row;
  },
};
const create = (name: string) => runAction(newSessionDef, tech, { computerId, name, configurationName: "Microsoft.PowerShell" });
const onAgent = async (name: string) => (await agent.client.listSessions(actAs(tech), { name })).filter((s) => s.state !== "Closed");
const auditsOf = (sessionName: string) => db.auditEvent.findMany({ where: { sessionName }, orderBy: { seq: "asc" } });

beforeAll(async () => {
  await db.user.create({ data: { id: tech.id, username: tech.username, displayName: tech.displayName, role: tech.role, passwordHash: "unused" } });
  agent = await startAgent({ name: "Srv15", configurations: [{ name: "Microsoft.PowerShell" }] });
  agentProxy = await startDelayProxy({
    target: agent.baseUrl,
    delayMs: 0,
    // Only "New session" requests: the link also posts acks and the like to /v1/sessions/…
    counts: (method, p) => method === "POST" && p.split("?")[0] === "/v1/sessions",
    onChange: (delta) => {
      if (delta !== 1 || !onAgentRequest) return;
      const fire = onAgentRequest;
      onAgentRequest = null;
      fire();
    },
  });
  const c = await db.computer.create({ data: { name: "Srv15", address: agentProxy.baseUrl, tokenCiphertext: seal(agent.token) } });
  computerId = c.id;
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
}, 120_000);

afterAll(async () => {
  await relay?.open();
  await fleet?.stop();
  await agentProxy?.close();
  await agent?.stop();
  await db?.$disconnect();
});

describe("an action whose database goes away", () => {
  it("after its intent is written: the agent acts, the user is told the truth, the outcome is recorded once after recovery", async () => {
    // The database is cut the moment the agent receives the request: the intent is written, the
    // agent creates the session, and reading its row back fails.
    const cutDone = new Promise<void>((resolve) => (onAgentRequest = () => void relay.cut().then(resolve)));
    const before = new Date();
    const result = await create("late-record");
    await cutDone;
    expect(result).toEqual({ ok: false, code: "DB_UNAVAILABLE", error: "The session was created, but the console could not record it yet; it will appear shortly." });
    expect(await onAgent("late-record")).toHaveLength(1);
    expect(intents.pendingOutcomeCount()).toBe(1);
    const restoredAt = new Date();
    await relay.open();
    await until(() => intents.pendingOutcomeCount() === 0, { what: "late outcome written", timeoutMs: 20_000 });

    const events = await auditsOf("late-record");
    expect(events.map((e) => [e.action, e.outcome])).toEqual([["session.new", "ok"]]);
    // Stamped with when the agent acted, not when the database came back.
    expect(events[0].at.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(events[0].at.getTime()).toBeLessThanOrEqual(restoredAt.getTime());
    expect(await db.actionIntent.count()).toBe(0);
    // A sweep after the fact finds nothing more to record.
    expect(await intents.sweepOpenIntents({ graceMs: 0 })).toBe(0);
    expect(await auditsOf("late-record")).toHaveLength(1);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("before the action: DB_UNAVAILABLE, the agent is not called, nothing is left behind", async () => {
    await relay.cut();
    agentProxy.reset();
    const result = await create("never-made");
    expect(result).toEqual({ ok: false, code: "DB_UNAVAILABLE", error: "The console's database is unavailable; try again in a moment." });
    expect(agentProxy.stats.total).toBe(0);
    expect(await onAgent("never-made")).toHaveLength(0);
    expect(intents.pendingOutcomeCount()).toBe(0);
    await relay.open();
    expect(await auditsOf("never-made")).toHaveLength(0);
    expect(await db.actionIntent.count()).toBe(0);
  });

  it("writes the intent before the agent call and settles it with the outcome", async () => {
    // The request is held at the proxy long enough for the test to look at the store meanwhile.
    agentProxy.delay.ms = 300;
    let seen: Promise<number> = Promise.resolve(-1);
    // .then() now: a Prisma query does not run until someone awaits it.
    onAgentRequest = () => (seen = db.actionIntent.count({ where: { sessionName: "on-time" } }).then((n) => n));
    const result = await create("on-time");
    agentProxy.delay.ms = 0;
    expect(result.ok).toBe(true);
    expect(await seen).toBe(1);
    expect(await db.actionIntent.count()).toBe(0);
    expect((await auditsOf("on-time")).map((e) => e.outcome)).toEqual(["ok"]);
  });
});

describe("the intent sweep", () => {
  const leftBehind = (name: string, at: Date) =>
    db.actionIntent.create({
      data: { id: crypto.randomUUID(), at, owner: "a-stopped-console", actorId: tech.id, actorName: tech.username, actorRole: tech.role, action: "session.new", computerId, computerName: "Srv15", sessionName: name, params: JSON.stringify({ name }) },
    });

  it("resolves a stopped console's intents against the agent's state, once, at the time things happened", async () => {
    const at = new Date(Date.now() - 5000);
    await leftBehind("made-before-crash", at);
    await leftBehind("not-made-before-crash", at);
    const made = await agent.client.newSession(actAs(tech), { name: "made-before-crash", configurationName: "Microsoft.PowerShell" });
    // Two sweeps at once (two console instances) still record each outcome once.
    const [a, b] = await Promise.all([intents.sweepOpenIntents({ graceMs: 0 }), intents.sweepOpenIntents({ graceMs: 0 })]);
    expect(a + b).toBeGreaterThanOrEqual(2);
    const ok = await auditsOf("made-before-crash");
    expect(ok.map((e) => [e.action, e.outcome])).toEqual([["session.new", "ok"]]);
    expect(ok[0].at.toISOString()).toBe(new Date(made.createdOn).toISOString());
    expect(ok[0].sessionId).toBeTruthy();
    const notMade = await auditsOf("not-made-before-crash");
    expect(notMade.map((e) => [e.outcome, e.at.toISOString()])).toEqual([["error", at.toISOString()]]);
    expect(notMade[0].error).toMatch(/has no session not-made-before-crash/);
    expect(await db.actionIntent.count()).toBe(0);
    expect(await intents.sweepOpenIntents({ graceMs: 0 })).toBe(0);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("leaves another console's recent intent alone", async () => {
    await leftBehind("still-in-flight", new Date());
    expect(await intents.sweepOpenIntents()).toBe(0);
    expect(await db.actionIntent.count()).toBe(1);
    await db.actionIntent.deleteMany();
  });
});

describe("readiness", () => {
  it("reports the database and the agent links, and flips with the database", async () => {
    expect(await readiness()).toMatchObject({ ready: true, checks: { database: { ok: true }, agents: { ok: true, online: 1, offline: 0 } } });
    await relay.cut();
    const down = await readiness();
    expect(down).toMatchObject({ ready: false, checks: { database: { ok: false }, agents: { online: 1 } } });
    expect(JSON.stringify(down)).not.toContain(String(relay.port));
    await relay.open();
    await until(async () => (await readiness()).ready, { what: "ready again" });
  });
});
