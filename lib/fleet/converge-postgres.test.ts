import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { answerItem, createdPair, createRaceCases, eventItem, expectConverged, replayCases, type TConvergeContext } from "@/lib/fleet/converge-cases";
import type { AgentStream } from "@/lib/fleet/agent-client";
import type { TStreamServerMessage } from "@/lib/protocol";
import { createTestPostgresDatabase } from "@/lib/testing/shared-services";
import { TcpRelay } from "@/lib/testing/tcp-relay";
import type { TSessionUser } from "@/lib/auth/session-store";

// The console's store converges with the agents on PostgreSQL: the create race forced inside
// a transaction (the other writer's INSERT waits on the unique index, then meets the row), and
// an outage: the console reaches PostgreSQL through a TCP relay that the test cuts while a real
// agent's session idle-expires, a command finishes and output flows; once it is restored every
// row, history line, audit event (at the agent's time) and transcript line matches the agent.
let directUrl: string;
let relay: TcpRelay;
let m: {
  db: typeof import("@/lib/db/client").db;
  ingest: typeof import("@/lib/fleet/ingest");
  ops: typeof import("@/lib/sessions/operations");
  fleet: InstanceType<typeof import("@/lib/fleet/fleet").Fleet>;
};
let raceAgent: RunningAgent;
let agent: RunningAgent;
let c: TConvergeContext;
let computerId: string;
/** Every event the agent sends, as an independent observer hears it (the agent's record of what happened and when). */
let observer: AgentStream;
const heard: TStreamServerMessage[] = [];

const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };

beforeAll(async () => {
  directUrl = await createTestPostgresDatabase("baton_conv");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-conv-"));
  process.env.LOG_LEVEL = "silent";
  process.env.BATON_SECRET = "converge-test-secret-0123456789abcdef0123456789";
  process.env.BATON_AUDIT_KEY_FILE = path.join(dir, "audit-keys.json");
  process.env.BATON_AUDIT_CHECKPOINT_DIR = path.join(dir, "checkpoints");
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: path.resolve(import.meta.dirname, "../.."), env: { ...process.env, DATABASE_URL: directUrl }, stdio: "pipe" });
  const direct = new URL(directUrl);
  relay = new TcpRelay(direct.hostname, Number(direct.port));
  await relay.open();
  const viaRelay = new URL(directUrl);
  viaRelay.hostname = "127.0.0.1";
  viaRelay.port = String(relay.port);
  process.env.DATABASE_URL = viaRelay.toString();

  const { db } = await import("@/lib/db/client");
  const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
  const { seal } = await import("@/lib/crypto/secret-box");
  const ingest = await import("@/lib/fleet/ingest");
  const ops = await import("@/lib/sessions/operations");
  await db.user.create({ data: { id: tech.id, username: tech.username, displayName: tech.displayName, role: tech.role, passwordHash: "unused" } });

  [raceAgent, agent] = await Promise.all([
    startAgent({ name: "ConvRace", configurations: [{ name: "Microsoft.PowerShell" }] }),
    startAgent({ name: "ConvOut", configurations: [{ name: "Microsoft.PowerShell" }], env: { BATON_AGENT_MIN_IDLE_SEC: "1" } }),
  ]);
  const computer = await db.computer.create({ data: { name: "ConvOut", address: agent.baseUrl, tokenCiphertext: seal(agent.token) } });
  computerId = computer.id;
  const fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
  observer = await agent.client.openStream();
  observer.on("message", (msg) => heard.push(msg));
  m = { db, ingest, ops, fleet };
  // The race runs on an agent no console link listens to: only the test writes its sessions.
  const raceComputer = await db.computer.create({ data: { name: "ConvRace", address: raceAgent.baseUrl, tokenCiphertext: "unused" } });
  c = { db, ingest, agent: raceAgent, stream: await raceAgent.client.openStream(), computerId: raceComputer.id };
}, 120_000);

afterAll(async () => {
  c?.stream.terminate();
  observer?.terminate();
  await m?.fleet.stop();
  await Promise.all([raceAgent?.stop(), agent?.stop()]);
  await relay?.cut();
  await m?.db.$disconnect();
});

/** True while some statement in the test database waits for a lock (another transaction's uncommitted row). */
async function someoneWaits(): Promise<true | null> {
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    const r = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    return r.rows[0].n > 0 ? true : null;
  } finally {
    await client.end();
  }
}

describe("the create race on PostgreSQL", () => {
  createRaceCases(() => c);

  it("converges when the agent's event is written while the action's write is in flight", async () => {
    const { event, answer } = await createdPair(c, "race-during-answer");
    let eventWrite: Promise<string> | undefined;
    await m.db.$transaction(
      async (tx) => {
        await m.ingest.writeRow(tx, answerItem(c, answer));
        eventWrite = m.ingest.ingestSession(eventItem(c, event));
        await until(someoneWaits, { what: "the event's INSERT waiting for the action's" });
      },
      { timeout: 30_000 },
    );
    await expect(eventWrite).resolves.toEqual(expect.any(String));
    await expectConverged(c, event, answer);
  });

  it("converges when the action's answer is written while the agent's event is in flight (no false refusal)", async () => {
    const { event, answer } = await createdPair(c, "race-during-event");
    let answerWrite: Promise<string> | undefined;
    await m.db.$transaction(
      async (tx) => {
        const { event: line } = await m.ingest.writeRow(tx, eventItem(c, event));
        await tx.sessionEvent.create({ data: line! });
        answerWrite = m.ingest.ingestSession(answerItem(c, answer));
        await until(someoneWaits, { what: "the action's INSERT waiting for the event's" });
      },
      { timeout: 30_000 },
    );
    await expect(answerWrite).resolves.toEqual(expect.any(String));
    await expectConverged(c, event, answer);
  });
});

describe("a retried agent event on PostgreSQL", () => {
  replayCases(() => c);

  it("writes a change once when its COMMIT lands but the answer is lost and the console's pump retries it", async () => {
    const { db, ops } = m;
    const s = await ops.newSession({ actor: tech, input: { computerId, name: "lost-commit", configurationName: "Microsoft.PowerShell" } });
    const lines = async () => (await db.sessionEvent.findMany({ where: { sessionId: s.id }, orderBy: { id: "asc" } })).map((e) => e.change);
    await until(async () => (await lines()).includes("created") || null, { what: "the created line" });
    // The agent's "disconnected" event is written in one transaction (row and history line);
    // PostgreSQL commits it, and the console hears a broken connection instead of COMMIT.
    const lost = relay.loseCommitAnswer(`INSERT INTO "SessionEvent"`);
    await ops.disconnectSession({ actor: tech, record: await ops.loadActionable(tech, s.id) });
    await lost;
    expect(await lines()).toEqual(["created", "disconnected"]);
    // The pump retries the event, then goes on in order: the next change's line says the retry is done.
    await ops.connectSession({ actor: tech, record: await ops.loadActionable(tech, s.id) });
    await until(async () => (await lines()).includes("connected") || null, { what: "the next change written after the retry" });
    expect(await lines()).toEqual(["created", "disconnected", "connected"]);
    expect(await db.session.findUniqueOrThrow({ where: { id: s.id } })).toMatchObject({ state: "Opened", holderId: tech.id });
  }, 60_000);
});

describe("an agent event's audit records on PostgreSQL, when a COMMIT's answer is lost", () => {
  const events = (sessionId: string, action: string) => m.db.auditEvent.findMany({ where: { sessionId, action } });
  /** Keystrokes as the browser terminal sends them: through the link, as the signed-in user. */
  const type = async (instanceId: string, data: string) => {
    const { actAs } = await import("@/lib/fleet/act-as");
    await m.fleet.link(computerId).request(actAs(tech), (c) => c.input(actAs(tech), instanceId, data));
  };

  it("writes the agent's idle-expiry event once when its INSERT landed and the console retries it", async () => {
    const { db, ops } = m;
    const s = await ops.newSession({ actor: tech, input: { computerId, name: "lost-audit", configurationName: "Microsoft.PowerShell" } });
    await ops.disconnectSession({ actor: tech, record: await ops.loadActionable(tech, s.id), idleTimeoutSec: 1 });
    // The agent's expiry, a second later, is audited alone (no transaction): its own answer is the one lost.
    const lost = relay.loseCommitAnswer(`INSERT INTO "AuditEvent"`);
    await lost;
    await until(async () => (await db.session.findUniqueOrThrow({ where: { id: s.id } })).state === "Closed" || null, { what: "the expiry applied", timeoutMs: 20_000 });
    // The next event is applied only after the retried one: its line says the retry is done.
    const next = await ops.newSession({ actor: tech, input: { computerId, name: "lost-audit-next", configurationName: "Microsoft.PowerShell" } });
    await until(async () => (await db.sessionEvent.count({ where: { sessionId: next.id } })) > 0 || null, { what: "the next event applied" });
    expect(await events(s.id, "agent.idle-expired")).toHaveLength(1);
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  }, 60_000);

  it("writes a typed line's command row and its audit event once each when their answers are lost", async () => {
    const { db, ops } = m;
    const s = await ops.newSession({ actor: tech, input: { computerId, name: "lost-typed", configurationName: "Microsoft.PowerShell" } });
    await until(async () => (await db.sessionEvent.count({ where: { sessionId: s.id } })) > 0 || null, { what: "the created line" });
    for (const [i, marker] of [`"SessionCommand"`, `INSERT INTO "AuditEvent"`].entries()) {
      const lost = relay.loseCommitAnswer(marker);
      await type(s.instanceId, `echo typed-once-${i}\r`);
      await lost;
      await until(async () => ((await events(s.id, "terminal.command")).length > i ? true : null), { what: `line ${i}'s audit event` });
    }
    const next = await ops.newSession({ actor: tech, input: { computerId, name: "lost-typed-next", configurationName: "Microsoft.PowerShell" } });
    await until(async () => (await db.sessionEvent.count({ where: { sessionId: next.id } })) > 0 || null, { what: "the next event applied" });
    const rows = await db.sessionCommand.findMany({ where: { sessionId: s.id }, orderBy: { startedAt: "asc" } });
    expect(rows.map((r) => [r.command, r.actorId])).toEqual([
      ["echo typed-once-0", tech.id],
      ["echo typed-once-1", tech.id],
    ]);
    expect((await events(s.id, "terminal.command")).map((e) => JSON.parse(e.params).command)).toEqual(["echo typed-once-0", "echo typed-once-1"]);
  }, 60_000);
});

describe("the audit of what the console records itself (a computer gone), when the store fails", () => {
  // A computer of its own per case: its agent is killed, its sessions turn Broken, and the audit
  // records of that (the computer's and each session's) are the write the store fails.
  async function computerGoneWhile(name: string, trap: (marker: string) => Promise<void>) {
    const { db, ops, fleet } = m;
    const gone = await startAgent({ name, configurations: [{ name: "Microsoft.PowerShell" }] });
    const { seal } = await import("@/lib/crypto/secret-box");
    const computer = await db.computer.create({ data: { name, address: gone.baseUrl, tokenCiphertext: seal(gone.token) } });
    fleet.add(computer, gone.token);
    await until(async () => ((await db.sessionConfiguration.count({ where: { computerId: computer.id } })) > 0 && fleet.link(computer.id).status === "online") || null, { what: `${name} online` });
    const sessions = await Promise.all(["a", "b"].map((x) => ops.newSession({ actor: tech, input: { computerId: computer.id, name: `${name}-${x}`, configurationName: "Microsoft.PowerShell" } })));
    // The computer's own record is in the same group as its sessions' (one statement).
    const tripped = trap("agent.computer-offline");
    await gone.stop("SIGKILL");
    await tripped;
    await until(async () => (await db.session.count({ where: { id: { in: sessions.map((x) => x.id) }, state: "Broken" } })) === 2 || null, { what: "sessions Broken", timeoutMs: 20_000 });
    // The console's store retry writes them (its backoff starts at a fraction of a second).
    const recorded = () => db.auditEvent.findMany({ where: { computerName: name, action: { in: ["agent.computer-offline", "agent.session-broken"] } }, orderBy: { seq: "asc" } });
    await until(async () => ((await recorded()).length >= 3 ? true : null), { what: "the records written", timeoutMs: 20_000 });
    // Settled: another retry round would have written any double by now.
    const next = await ops.newSession({ actor: tech, input: { computerId, name: `${name}-after`, configurationName: "Microsoft.PowerShell" } });
    await until(async () => (await db.sessionEvent.count({ where: { sessionId: next.id } })) > 0 || null, { what: "a later event applied" });
    const events = await recorded();
    // The computer's record first; its sessions' in no particular order.
    expect([events[0].action, events[0].sessionName]).toEqual(["agent.computer-offline", null]);
    expect(events.slice(1).map((e) => [e.action, e.sessionName]).sort()).toEqual([
      ["agent.session-broken", `${name}-a`],
      ["agent.session-broken", `${name}-b`],
    ]);
    // At the time the sessions turned Broken (their history lines), not when the retry wrote them.
    const lines = await db.sessionEvent.findMany({ where: { sessionId: { in: sessions.map((x) => x.id) }, change: "broken" } });
    expect(new Set(lines.map((l) => l.at.getTime()))).toEqual(new Set(events.map((e) => e.at.getTime())));
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  }

  it("writes them once the store is back when their write failed outright", async () => {
    await computerGoneWhile("ConvGoneFail", (marker) => relay.failStatement(marker));
  }, 90_000);

  it("writes them once when their write landed but its answer was lost", async () => {
    await computerGoneWhile("ConvGoneLost", (marker) => relay.loseCommitAnswer(marker));
  }, 90_000);
});

describe("an outage of PostgreSQL", () => {
  it("keeps the agent's events, retries them in order, and matches the agent afterwards, times included", async () => {
    const { db, ops } = m;
    const idle = await ops.newSession({ actor: tech, input: { computerId, name: "out-idle", configurationName: "Microsoft.PowerShell" } });
    const busy = await ops.newSession({ actor: tech, input: { computerId, name: "out-busy", configurationName: "Microsoft.PowerShell" } });
    const agentIdOf = async (id: string) => (await db.session.findUniqueOrThrow({ where: { id } })).agentSessionId;
    const command = "sleep 1; for i in $(seq 1 15); do echo out-line-$i; sleep 0.2; done; (exit 3)";
    await ops.runCommand({ actor: tech, record: await ops.loadActionable(tech, busy.id), command });
    await ops.disconnectSession({ actor: tech, record: await ops.loadActionable(tech, idle.id), idleTimeoutSec: 2 });

    // The store goes away; the agent carries on: the session expires, the command prints and ends.
    await relay.cut();
    const cutAt = Date.now();
    const [idleRef, busyRef] = [await agentIdOf(idle.id).catch(() => null), await agentIdOf(busy.id).catch(() => null)];
    expect([idleRef, busyRef]).toEqual([null, null]); // the console cannot read its store: the outage is real
    const agentIdle = await until(async () => (await agent.client.listSessions(admin, { name: "out-idle" })).find((s) => s.state === "Closed") ?? null, {
      what: "the idle session expired on the agent",
      timeoutMs: 20_000,
    });
    const agentBusy = await until(async () => (await agent.client.listSessions(admin, { name: "out-busy" })).find((s) => s.lastCommand && !s.command) ?? null, {
      what: "the command finished on the agent",
      timeoutMs: 30_000,
    });
    expect(agentIdle.reason).toMatch(/^IdleTimeout/);
    expect(agentBusy.lastCommand).toMatchObject({ command, exitCode: 3 });
    const link = m.fleet.link(computerId);
    expect(link.status).toBe("online"); // the agent's stream never dropped: nothing but the store failed

    await relay.open();
    const restoredAt = Date.now();
    expect(restoredAt - cutAt).toBeGreaterThan(2_000);
    const stored = (id: string) => db.session.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { id: "asc" } }, commands: true } });
    await until(async () => ((await stored(idle.id)).state === "Closed" && (await stored(busy.id)).commands[0]?.exitCode === 3) || null, {
      what: "the store caught up",
      timeoutMs: 30_000,
    });

    // Rows: what the agent says.
    const idleRow = await stored(idle.id);
    expect(idleRow).toMatchObject({ state: "Closed", reason: agentIdle.reason, holderId: null, runningCommand: null });
    const busyRow = await stored(busy.id);
    expect(busyRow).toMatchObject({ state: "Opened", holderId: tech.id, runningCommand: null });

    // History: every change the agent reported, once each, at the agent's time.
    const reported = (instanceId: string) =>
      heard.flatMap((h) => (h.type === "session.updated" && h.session.instanceId === instanceId && !["resized", "buffered", "input.control"].includes(h.change) ? [h] : []));
    for (const row of [idleRow, busyRow]) {
      const expected = reported(row.instanceId).map((h) => ({ change: h.change, at: new Date(h.at) }));
      expect(expected.filter((e) => e.change === "created")).toHaveLength(1);
      expect(row.events.map((e) => ({ change: e.change, at: e.at }))).toEqual(expected);
    }
    const closedEvent = reported(idleRow.instanceId).find((h) => h.change === "closed")!;
    expect(new Date(closedEvent.at).getTime()).toBeGreaterThan(cutAt);
    expect(new Date(closedEvent.at).getTime()).toBeLessThan(restoredAt);

    // Audit: the idle expiry, once, at the time it happened (during the outage), not when written.
    const expiries = await db.auditEvent.findMany({ where: { action: "agent.idle-expired", sessionId: idle.id } });
    expect(expiries).toHaveLength(1);
    expect(expiries[0].at).toEqual(new Date(closedEvent.at));

    // The command: its real end and exit code, and every line it printed, once, in order.
    const [row] = busyRow.commands;
    expect(row).toMatchObject({ command, exitCode: 3, endedAt: new Date(agentBusy.lastCommand!.finishedOn), outputTruncated: false });
    const printed = row.output.match(/^out-line-\d+/gm) ?? [];
    expect(printed).toEqual(Array.from({ length: 15 }, (_, i) => `out-line-${i + 1}`));
    const onAgent = (await agent.client.readOutput(admin, agentBusy.id, 0)).output.toString("utf8").match(/^out-line-\d+/gm);
    expect(printed).toEqual(onAgent);
    expect(row.output).not.toMatch(/not recorded/);

    // The store is whole again: Connect on the expired session is refused by the agent, and the row agrees.
    await expect(ops.connectSession({ actor: tech, record: await ops.loadActionable(tech, idle.id) })).rejects.toThrow(/Closed/);
    expect((await stored(idle.id)).state).toBe("Closed");
  }, 120_000);

  it("lets go of more output than it may hold while the store is down, and reads it back from the agent by offset", async () => {
    const { db, ops } = m;
    const big = await ops.newSession({ actor: tech, input: { computerId, name: "out-big", configurationName: "Microsoft.PowerShell" } });
    // About 300 KB: more than the console holds in memory for a session (UNWRITTEN_MAX_CHARS).
    const command = "sleep 1; head -c 300000 /dev/zero | tr '\\0' x | fold -w 100; echo; echo big-done";
    await ops.runCommand({ actor: tech, record: await ops.loadActionable(tech, big.id), command });
    await relay.cut();
    const ref = (await agent.client.listSessions(admin, { name: "out-big" }))[0].id;
    const done = await until(async () => {
      const s = await agent.client.getSession(admin, ref);
      return s.lastCommand && !s.command ? s : null;
    }, { what: "the big command finished on the agent", timeoutMs: 30_000 });
    await relay.open();
    const row = await until(async () => {
      const r = await db.sessionCommand.findFirst({ where: { sessionId: big.id, command } });
      return r?.exitCode === 0 && r.outputTruncated ? r : null;
    }, { what: "the transcript written", timeoutMs: 30_000 });
    expect(row.endedAt).toEqual(new Date(done.lastCommand!.finishedOn));
    const { TRANSCRIPT_MAX_CHARS_PER_COMMAND } = await import("@/lib/fleet/transcripts");
    const { neutralise } = await import("@/lib/audit/neutralise");
    // Kept up to the per-command bound, with nothing missing and nothing twice: one unbroken
    // stretch of what the agent's shell printed.
    expect(row.output.length).toBe(TRANSCRIPT_MAX_CHARS_PER_COMMAND);
    expect(row.output).not.toMatch(/not recorded/);
    const lines = (t: string) => t.replace(/\n+/g, "\n");
    const printed = (await agent.client.readOutput(admin, ref, 0)).output.toString("utf8");
    expect(lines(neutralise(printed))).toContain(lines(row.output));
    expect(row.output.match(/^x{100}$/gm)?.length).toBeGreaterThan(600);
  }, 120_000);
});
