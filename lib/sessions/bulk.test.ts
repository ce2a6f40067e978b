import { afterAll, beforeAll, describe, expect, it } from "vitest";
import os from "node:os";
import Database from "better-sqlite3";
import { AgentClient } from "@/lib/fleet/agent-client";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startProxyProcess, type ProxyProcess } from "@/lib/testing/proxy-process";

// Bulk jobs against real agents behind a proxy that adds latency and counts requests: the
// throttle is exact and the agents, not the console, set the pace; every failure is in plain
// words naming the computer; a bulk Receive keeps each session's output for its user.
const url = prepareTestDatabase();
// As server.ts opens it: WAL, synchronous FULL (every commit durable).
new Database(url.slice("file:".length)).pragma("journal_mode = WAL");
process.env.BATON_SECRET = "bulk-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const ops = await import("@/lib/sessions/operations");
const bulk = await import("@/lib/sessions/bulk");
const { readOutcomes } = await import("@/lib/sessions/bulk-store");
const { ZSessionFilters } = await import("@/lib/dto/sessions");
import type { TSessionUser } from "@/lib/auth/session-store";

const manager: TSessionUser = { id: "u-boss", username: "boss", displayName: "boss", role: "manager", team: null };
const as = { id: manager.id, name: manager.username, roles: ["manager"] };
const DELAY_MS = 50;
const PER_AGENT = 100;
const NAMES = ["BulkA", "BulkB", "BulkC"] as const;

type Node = { agent: RunningAgent; index: number; computerId: string; client: AgentClient };
const nodes = {} as Record<(typeof NAMES)[number], Node>;
// The proxies run in a process of their own, so their work is not counted as the console's.
let proxies: ProxyProcess;
let fleet: InstanceType<typeof Fleet>;

/** Opens sessions straight on the agent (many at once); the console learns of them from the stream. */
async function openSessions(node: Node, prefix: string, n: number): Promise<void> {
  const before = await db.session.count({ where: { computerId: node.computerId } });
  // A few at a time: each starts a real shell, and a busy machine starts them slowly.
  for (let i = 0; i < n; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, (_, k) => node.agent.client.newSession(as, { name: `${prefix}${String(i + k).padStart(3, "0")}`, configurationName: "Microsoft.PowerShell" })),
    );
  }
  await until(async () => (await db.session.count({ where: { computerId: node.computerId } })) === before + n || null, { what: `${n} sessions stored`, timeoutMs: 60_000 });
}

const selection = (name: string) => ({ filters: ZSessionFilters.parse({ name }) });

beforeAll(async () => {
  // As server.ts does at start: the audit keyring is read once, before anything is audited.
  (await import("@/lib/audit/keys")).auditKeyring();
  await db.user.create({ data: { id: manager.id, username: manager.username, displayName: manager.displayName, role: manager.role, passwordHash: "unused" } });
  const agents = await Promise.all(NAMES.map((name) => startAgent({ name, configurations: [{ name: "Microsoft.PowerShell", maxShells: 150, maxShellsPerUser: 150 }] })));
  proxies = await startProxyProcess({ targets: agents.map((a) => a.baseUrl), delayMs: DELAY_MS });
  for (const [index, name] of NAMES.entries()) {
    const agent = agents[index];
    const address = proxies.baseUrls[index];
    const c = await db.computer.create({ data: { name, address, tokenCiphertext: seal(agent.token) } });
    nodes[name] = { agent, index, computerId: c.id, client: new AgentClient({ baseUrl: address, token: agent.token }) };
  }
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(() => Object.values(nodes).every((n) => fleet.link(n.computerId).status === "online") || null, { what: "links online", timeoutMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await proxies?.close();
  for (const n of Object.values(nodes)) {
    n.client.close();
    if (n.agent.proc.exitCode === null && n.agent.proc.signalCode === null) await n.agent.stop();
  }
});

/** The median time of one disconnect through the proxy: what one agent request costs. */
async function singleRequestMs(node: Node, prefix: string): Promise<number> {
  const sessions = (await node.agent.client.listSessions(as)).filter((s) => s.name.startsWith(prefix));
  const times: number[] = [];
  for (const s of sessions) {
    const t0 = performance.now();
    await node.client.disconnect(as, s.instanceId);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Counts the SQL statements the console runs: each run of a better-sqlite3 statement (the
 * console keeps statements prepared, lib/db/client.ts, so preparations would undercount), by its
 * SQL, whether Prisma's model API wrote it (`main`.`Table`) or a raw statement ("Table").
 */
function countStatements() {
  const counts = { commits: 0, auditInserts: 0, sessionEventInserts: 0, sessionReads: 0 };
  const probe = new Database(":memory:");
  const proto = Object.getPrototypeOf(probe.prepare("SELECT 1")) as { run: (...a: unknown[]) => unknown; all: (...a: unknown[]) => unknown };
  probe.close();
  const { run, all } = proto;
  const inserts = (sql: string, name: string) => sql.startsWith(`INSERT INTO \`main\`.\`${name}\``) || sql.startsWith(`INSERT INTO "${name}"`);
  const count = (sql: string) => {
    if (sql === "COMMIT") counts.commits++;
    if (inserts(sql, "AuditEvent")) counts.auditInserts++;
    if (inserts(sql, "SessionEvent")) counts.sessionEventInserts++;
    if (sql.startsWith("SELECT `main`.`Session`.")) counts.sessionReads++;
  };
  proto.run = function (this: { source: string }, ...a: unknown[]) {
    count(this.source);
    return run.apply(this, a);
  };
  proto.all = function (this: { source: string }, ...a: unknown[]) {
    count(this.source);
    return all.apply(this, a);
  };
  return {
    stop() {
      Object.assign(proto, { run, all });
      return counts;
    },
  };
}

async function runJob(op: Parameters<typeof bulk.startBulkJob>[1], name: string, throttleLimit: number) {
  const records = await bulk.resolveTargets(manager, selection(name));
  await proxies.reset();
  const sql = countStatements();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { jobId, total } = await bulk.startBulkJob(manager, op, records, { throttleLimit });
  const outcomes = await (await bulk.bulkJobOf(manager, jobId))!.done!;
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const cpuMsPerTarget = (used.user + used.system) / 1000 / total;

  // The stream's events for the job's changes land just after the last answer.
  await new Promise((r) => setTimeout(r, 500));
  const statements = sql.stop();
  const { combined } = await proxies.stats();
  return { jobId, total, outcomes, wallMs, cpuMsPerTarget, statements, peak: combined.peak, requests: combined.total, agentMedianMs: combined.medianMs };
}

describe("bulk jobs", () => {
  it(`runs ${2 * PER_AGENT} targets at ThrottleLimit 32 and 4: never more in flight, one request and one audit event each`, async () => {
    await openSessions(nodes.BulkA, "Fast", PER_AGENT);
    await openSessions(nodes.BulkB, "Fast", PER_AGENT);
    await openSessions(nodes.BulkA, "Probe", 7);
    const single = await singleRequestMs(nodes.BulkA, "Probe");
    const N = 2 * PER_AGENT;
    const runs: { jobId: string; limit: number; outcomes: Awaited<ReturnType<typeof runJob>>["outcomes"] }[] = [];

    for (const [op, limit] of [["disconnect", 32], ["connect", 4]] as const) {
      const r = await runJob(op, "Fast*", limit);
      runs.push({ jobId: r.jobId, limit, outcomes: r.outcomes });
      const ideal = Math.ceil(N / limit) * single;
      // On a machine busier than its cores (load average above their number: shared machines,
      // CI runners), every process waits for a CPU, the agents and the console alike, which one
      // request measured alone does not show: only then the bound stretches, by load per core.
      const loadPerCore = os.loadavg()[0] / os.availableParallelism();
      const slack = Math.max(1, loadPerCore);
      console.log(
        `bulk ${op} N=${N} T=${limit}: ${Math.round(r.wallMs)} ms; ideal ${Math.round(ideal)} ms (one request alone ${single.toFixed(1)} ms, ` +
          `median during the job ${r.agentMedianMs.toFixed(1)} ms); ratio ${(r.wallMs / ideal).toFixed(2)}; peak ${r.peak}; ` +
          `console CPU ${r.cpuMsPerTarget.toFixed(2)} ms per target; load ${loadPerCore.toFixed(1)} per core${slack > 1 ? `: bound stretched ${slack.toFixed(1)}×` : ""}`,
      );
      expect(r.outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(r.total).toBe(N);
      expect(r.requests).toBe(N);
      expect(r.peak).toBe(limit);
      expect(new Set(r.outcomes.map((o) => o.state))).toEqual(new Set([op === "disconnect" ? "Disconnected" : "Opened"]));
      // The wall-time bound (1.5 × ⌈N/T⌉ × one request) is a speed goal: measured and printed
      // here, judged by the benchmark (docs/benchmarks.md), not asserted in a timed test.
      console.log(`statements: ${JSON.stringify(r.statements)}`);
      // The console's writes are batched: with 32 in flight, outcomes arrive together and their
      // audit events share INSERTs (fewer statements than targets, however the timing falls).
      expect(r.statements.auditInserts).toBeGreaterThan(0); // the counter sees the appender's INSERTs
      if (limit >= 32) expect(r.statements.auditInserts).toBeLessThan(N);
      // The store takes each change in one statement (an UPDATE that returns the row), without
      // reading the row first or back afterwards.
      expect(r.statements.sessionReads).toBeLessThan(N / 10);
      // One audit event per target, in the chain, and the store agrees with the agents.
      expect(await db.auditEvent.count({ where: { action: `session.${op}`, params: { contains: r.jobId } } })).toBe(N);
      const want = op === "disconnect" ? "Disconnected" : "Opened";
      await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "fast" }, state: want } })) === N || null, { what: `store shows ${want}` });
    }
    // A restart loses the console's memory of its jobs, not the jobs: the Jobs view reads them
    // from the database, with their parameters and every target's outcome.
    (globalThis as { __batonBulkJobs?: Map<string, unknown> }).__batonBulkJobs?.clear();
    const listed = await bulk.listBulkJobs(manager);
    const bySession = (o: { sessionId: string }[]) => [...o].sort((a, b) => a.sessionId.localeCompare(b.sessionId));
    for (const run of runs) {
      expect(listed.find((j) => j.jobId === run.jobId)).toMatchObject({ throttleLimit: run.limit, total: N, done: N, finished: true, actorName: manager.username });
      expect(bySession((await bulk.bulkJobOf(manager, run.jobId))!.outcomes)).toEqual(bySession(run.outcomes));
    }
    // The batched appends are links of the keyed chain like any other.
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    expect(await verifyAuditChain()).toMatchObject({ ok: true, macsChecked: true });
  }, 180_000);

  it("bulk Receive keeps each session's output and dropped count for its user to read afterwards", async () => {
    const node = nodes.BulkB;
    for (let i = 0; i < 3; i++) {
      const s = await node.agent.client.newSession(as, { name: `Night${i}`, configurationName: "Microsoft.PowerShell" });
      await node.agent.client.run(as, s.instanceId, { command: `echo night-run-${i}-$((6*7))`, inDisconnectedSession: true });
    }
    await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "night" }, state: "Disconnected" } })) === 3 || null, { what: "night sessions" });
    await new Promise((r) => setTimeout(r, 300));
    const r = await runJob("receive", "Night*", 32);
    expect(r.outcomes.map((o) => [o.name, o.ok, o.state]).sort()).toEqual([
      ["Night0", true, "Opened"],
      ["Night1", true, "Opened"],
      ["Night2", true, "Opened"],
    ]);
    for (const o of r.outcomes) {
      const got = await bulk.bulkReceivedOf(manager, r.jobId, o.sessionId);
      expect(got.output).toContain(`night-run-${o.name.slice(-1)}-42`);
      expect(got).toMatchObject({ droppedBytes: 0, omittedBytes: 0 });
      expect(got.outputBytes).toBeGreaterThan(0);
    }
    // Someone else's job is not theirs to read.
    const other = { ...manager, id: "u-other" };
    await expect(bulk.bulkReceivedOf(other, r.jobId, r.outcomes[0].sessionId)).rejects.toThrow(/No bulk job of yours/);
    expect(bulk.previewOf("receive", await bulk.resolveTargets(manager, selection("Night*")), manager).every((p) => p.resultingState === "Opened")).toBe(true);
  }, 60_000);

  it("an agent killed mid-job gives plain-words failures naming it, and success for the rest", async () => {
    await openSessions(nodes.BulkA, "Mixed", 4);
    await openSessions(nodes.BulkC, "Mixed", 12);
    await proxies.setDelay(nodes.BulkC.index, 400);
    const records = await bulk.resolveTargets(manager, selection("Mixed*"));
    expect(records).toHaveLength(16);
    const { jobId } = await bulk.startBulkJob(manager, "disconnect", records, { throttleLimit: 4 });
    // Kill BulkC while its first requests are in the proxy (after A's four went through).
    await until(async () => (await proxies.stats()).perTarget[nodes.BulkC.index].inFlight >= 1 || null, { what: "BulkC requests in flight", intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 150));
    nodes.BulkC.agent.proc.kill("SIGKILL");
    const outcomes = await (await bulk.bulkJobOf(manager, jobId))!.done!;
    const a = outcomes.filter((o) => o.computerName === "BulkA");
    const c = outcomes.filter((o) => o.computerName === "BulkC");
    expect(a.map((o) => o.ok), JSON.stringify(a)).toEqual([true, true, true, true]);
    expect(c).toHaveLength(12);
    for (const o of c) {
      expect(o.ok).toBe(false);
      expect(o.error).toMatch(/^BulkC /);
      expect(o.error).toMatch(/agent is running|back online/);
      expect(o.error).not.toMatch(/\/v1\/|hang up|ECONN|socket|fetch failed|timed out/i);
    }
    // Both kinds happened: requests cut off in flight, and requests after the link saw it go.
    expect(c.some((o) => /stopped answering before it confirmed/.test(o.error!))).toBe(true);
    const audited = await db.auditEvent.findMany({ where: { params: { contains: jobId }, computerName: "BulkC" }, select: { error: true, outcome: true } });
    expect(audited).toHaveLength(12);
    for (const e of audited) expect(e.error).not.toMatch(/\/v1\/|hang up|ECONN/i);

    // A single action on the dead computer says the same kind of thing.
    await until(() => fleet.link(nodes.BulkC.computerId).status !== "online" || null, { what: "BulkC offline" });
    const record = await ops.loadActionable(manager, c[0].sessionId);
    await expect(ops.connectSession({ actor: manager, record })).rejects.toThrow(/^BulkC is not answering\. Check that its agent is running/);
  }, 60_000);

  it("a cancelled job starts no more targets: those left report cancelled, those in flight finish", async () => {
    await openSessions(nodes.BulkB, "Later", 20);
    await proxies.setDelay(nodes.BulkB.index, 300);
    try {
      const records = await bulk.resolveTargets(manager, selection("Later*"));
      await proxies.reset();
      const { jobId } = await bulk.startBulkJob(manager, "disconnect", records, { throttleLimit: 2 });
      await until(async () => (await proxies.stats()).combined.total >= 3 || null, { what: "a few requests sent", intervalMs: 10 });
      expect(await bulk.cancelBulkJob(manager, jobId)).toBe(true);
      const outcomes = await (await bulk.bulkJobOf(manager, jobId))!.done!;
      const sent = (await proxies.stats()).combined.total;
      expect(outcomes).toHaveLength(20);
      const done = outcomes.filter((o) => o.ok);
      const cancelled = outcomes.filter((o) => o.cancelled);
      for (const o of cancelled) expect(o).toMatchObject({ ok: false, state: null, error: expect.stringMatching(/^Cancelled before it started/) });
      // Every request sent finished; nothing else was sent.
      expect(done.length).toBe(sent);
      expect(done.length + cancelled.length).toBe(20);
      expect(cancelled.length).toBeGreaterThanOrEqual(10);
      expect(await db.auditEvent.count({ where: { params: { contains: `"cancelled":true` }, AND: { params: { contains: jobId } } } })).toBe(cancelled.length);
      // The store keeps them apart from failures, for the Jobs view after a restart.
      const stored = (await readOutcomes([jobId])).get(jobId)!;
      expect(stored.filter((o) => o.cancelled).map((o) => o.sessionId).sort()).toEqual(cancelled.map((o) => o.sessionId).sort());
      expect(stored.filter((o) => !o.ok && !o.cancelled)).toEqual([]);
      expect(await bulk.cancelBulkJob(manager, jobId)).toBe(false);
      await expect(bulk.cancelBulkJob({ ...manager, id: "u-other" }, jobId)).rejects.toThrow(/No bulk job of yours/);
    } finally {
      await proxies.setDelay(nodes.BulkB.index, DELAY_MS);
    }
  }, 60_000);
});
