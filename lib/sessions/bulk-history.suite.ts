import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";

// Bulk jobs kept in the database, run on SQLite (bulk-history.test.ts) and PostgreSQL
// (bulk-history-postgres.test.ts): a job's parameters and outcomes outlive the console's memory
// of it, a job a stopped console left unfinished is ended at start with its missing targets
// audited once, a user sees only their own jobs, and the history stays bounded. No agents run
// here: the jobs' targets fail at once ("Agent connections are not running in this process"),
// which are outcomes like any other.

const user = (id: string, role: TSessionUser["role"]): TSessionUser => ({ id, username: id.slice(2), displayName: id, role, team: null });
const tech = user("u-tina", "technician");
const other = user("u-otto", "technician");
const TARGETS = 40;

type M = {
  db: typeof import("@/lib/db/client").db;
  bulk: typeof import("@/lib/sessions/bulk");
  store: typeof import("@/lib/sessions/bulk-store");
  jobs: typeof import("@/lib/cluster/bulk-jobs");
  consoleInstanceId: typeof import("@/lib/cluster/cluster").consoleInstanceId;
};

/** What a restart loses: the console's memory of the jobs it ran. */
function forgetJobsInMemory() {
  const g = globalThis as { __batonBulkJobs?: Map<string, unknown>; __batonBulkOutcomes?: Map<string, unknown> };
  g.__batonBulkJobs?.clear();
  g.__batonBulkOutcomes?.clear();
}

export function bulkHistorySuite(prepare: () => Promise<unknown>) {
  let m: M;
  let sessionIds: string[] = [];
  const byPosition = (o: { computerName: string; name: string }[]) => [...o].sort((a, b) => a.name.localeCompare(b.name));

  beforeAll(async () => {
    await prepare();
    m = {
      db: (await import("@/lib/db/client")).db,
      bulk: await import("@/lib/sessions/bulk"),
      store: await import("@/lib/sessions/bulk-store"),
      jobs: await import("@/lib/cluster/bulk-jobs"),
      consoleInstanceId: (await import("@/lib/cluster/cluster")).consoleInstanceId,
    };
    // As server.ts does at start: the audit keyring is read once, before anything is audited.
    (await import("@/lib/audit/keys")).auditKeyring();
    const c = await m.db.computer.create({ data: { name: "JobSrv", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
    await m.db.session.createMany({
      data: Array.from({ length: TARGETS }, (_, i) => ({
        computerId: c.id,
        computerName: "JobSrv",
        agentSessionId: i + 1,
        instanceId: `job-inst-${i}`,
        name: `Night${String(i).padStart(2, "0")}`,
        nameKey: `night${String(i).padStart(2, "0")}`,
        configurationName: "Microsoft.PowerShell",
        ownerId: tech.id,
        ownerName: tech.username,
        state: "Disconnected" as const,
        idleTimeoutSec: 7200,
        outputBufferingMode: "Block" as const,
      })),
    });
    sessionIds = (await m.db.session.findMany({ select: { id: true } })).map((s) => s.id);
  }, 120_000);

  /** A job on record as another console started it: its targets, some outcomes, no end. */
  async function recordedJob(owner: string, actor: TSessionUser, op: "disconnect" | "receive" = "disconnect", startedAt = new Date()) {
    const id = crypto.randomUUID();
    const targets = Array.from({ length: 4 }, (_, i) => ({ sessionId: sessionIds[i], name: `Night0${i}`, computerName: "JobSrv" }));
    await m.store.recordJobStart({ id, actor: { id: actor.id, name: actor.username, role: actor.role }, operation: op, options: { throttleLimit: 8 }, startedAt, owner }, targets);
    return { id, targets };
  }

  describe("bulk jobs kept in the database", () => {
    it("a job's parameters and outcomes are read back after the console's memory of it is gone (a restart), written a batch at a time", async () => {
      const records = await m.bulk.resolveTargets(tech, { sessionIds });
      expect(records).toHaveLength(TARGETS);
      const writes = vi.spyOn(m.db, "$executeRawUnsafe");
      const { jobId, total } = await m.bulk.startBulkJob(tech, "disconnect", records, { throttleLimit: 32, idleTimeoutSec: 600, outputBufferingMode: "Drop" });
      const live = await (await m.bulk.bulkJobOf(tech, jobId))!.done!;
      const targetWrites = writes.mock.calls.filter(([sql]) => String(sql).startsWith(`INSERT INTO "BulkJobTarget"`)).length;
      writes.mockRestore();
      expect(total).toBe(TARGETS);
      expect(live).toHaveLength(TARGETS);
      for (const o of live) expect(o).toMatchObject({ ok: false, state: null, error: expect.stringMatching(/^Agent connections are not running/) });
      // The outcomes go in the audit's rhythm, a batch per statement: never one write per target.
      expect(targetWrites).toBeGreaterThanOrEqual(1);
      expect(targetWrites).toBeLessThan(TARGETS / 4);

      forgetJobsInMemory();
      const job = await m.bulk.bulkJobOf(tech, jobId);
      expect(job).toMatchObject({ operation: "disconnect", total: TARGETS, finished: true, done: null });
      expect(byPosition(job!.outcomes)).toEqual(byPosition(live));
      const listed = (await m.bulk.listBulkJobs(tech)).find((j) => j.jobId === jobId);
      expect(listed).toMatchObject({
        operation: "disconnect",
        actorName: tech.username,
        throttleLimit: 32,
        idleTimeoutSec: 600,
        outputBufferingMode: "Drop",
        total: TARGETS,
        done: TARGETS,
        finished: true,
        cancelled: false,
        receivedSessions: 0,
        outputKept: false,
      });
      expect(listed!.finishedAt).not.toBeNull();
      // Read back in the job's order (by computer, then the agent's session id).
      expect(listed!.outcomes.map((o) => o.sessionId)).toEqual(records.map((r) => r.id));
      // A finished job: nothing to cancel, whoever runs the console now.
      expect(await m.bulk.cancelBulkJob(tech, jobId)).toBe(false);
    });

    it("records a batch's outcomes on the targets' rows, booleans and empty values as the model reads them", async () => {
      const { id, targets } = await recordedJob(m.consoleInstanceId(), tech);
      await m.store.recordOutcomes(id, [
        { ...targets[2], position: 2, ok: true, state: "Disconnected", error: null },
        { ...targets[0], position: 0, ok: false, state: null, error: "Srv says no" },
      ]);
      expect((await m.store.readOutcomes([id])).get(id)).toEqual([
        { ...targets[0], ok: false, state: null, error: "Srv says no" },
        { ...targets[2], ok: true, state: "Disconnected", error: null },
      ]);
      expect((await m.store.targetsWithoutOutcome(id)).map((t) => t.position)).toEqual([1, 3]);
      await m.store.recordJobFinish(id, { finishedAt: new Date(), cancelled: true });
      expect(await m.store.recordJobFinish(id, { finishedAt: new Date(), cancelled: false })).toBe(false);
      expect((await m.bulk.listBulkJobs(tech)).find((j) => j.jobId === id)).toMatchObject({ finished: true, cancelled: true, done: 2, total: 4 });
    });

    it("a job run by another console instance is listed, live from the database, and cannot be cancelled from here", async () => {
      const { id, targets } = await recordedJob("other-host:4242:abcdef", tech);
      expect((await m.bulk.listBulkJobs(tech)).find((j) => j.jobId === id)).toMatchObject({ finished: false, done: 0, total: 4 });
      await m.store.recordOutcomes(id, [{ ...targets[0], position: 0, ok: true, state: "Disconnected", error: null }]);
      expect((await m.bulk.listBulkJobs(tech)).find((j) => j.jobId === id)).toMatchObject({ finished: false, done: 1 });
      await expect(m.bulk.cancelBulkJob(tech, id)).rejects.toMatchObject({ code: "INVALID_STATE", message: expect.stringMatching(/^That job is not run by this console instance but by other-host:4242:abcdef, so it cannot be cancelled from here/) });
      await m.store.recordJobFinish(id, { finishedAt: new Date(), cancelled: false });
    });

    it("says plainly when a Receive job's output is no longer kept, and a job that is not yours is not found", async () => {
      const { id, targets } = await recordedJob("other-host:4242:abcdef", tech, "receive");
      await m.store.recordJobFinish(id, { finishedAt: new Date(), cancelled: false });
      await expect(m.bulk.bulkReceivedOf(tech, id, targets[0].sessionId)).rejects.toThrow(/^That job's output is no longer kept: .* each session's transcript has its output\.$/);
      await expect(m.bulk.bulkArchiveOf(tech, id)).rejects.toThrow(/no longer kept/);
      expect((await m.bulk.listBulkJobs(tech)).find((j) => j.jobId === id)).toMatchObject({ operation: "receive", outputKept: false, receivedSessions: 0 });
      // Someone else: as if it did not exist.
      await expect(m.bulk.bulkReceivedOf(other, id, targets[0].sessionId)).rejects.toThrow(/^No bulk job of yours with that id\.$/);
      await expect(m.bulk.bulkArchiveOf(other, id)).rejects.toThrow(/^No bulk job of yours/);
      await expect(m.bulk.cancelBulkJob(other, id)).rejects.toThrow(/^No bulk job of yours/);
      expect(await m.bulk.bulkJobOf(other, id)).toBeNull();
    });

    it("lists only the user's own jobs, newest first", async () => {
      const theirs = await recordedJob("other-host:4242:abcdef", other);
      await m.store.recordJobFinish(theirs.id, { finishedAt: new Date(), cancelled: false });
      const mine = await m.bulk.listBulkJobs(tech);
      expect(mine.length).toBeGreaterThanOrEqual(4);
      expect(mine.every((j) => j.actorName === tech.username)).toBe(true);
      expect(mine.map((j) => j.jobId)).not.toContain(theirs.id);
      const started = mine.map((j) => j.startedAt);
      expect(started).toEqual([...started].sort().reverse());
      expect((await m.bulk.listBulkJobs(other)).map((j) => j.jobId)).toEqual([theirs.id]);
    });

    it("ends at start the jobs a stopped console left unfinished: missing targets interrupted, audited once; a target audited before the stop keeps its outcome", async () => {
      const stopped = "crashed-host:1:000000";
      const { id, targets } = await recordedJob(stopped, tech);
      const mineRunning = await recordedJob(m.consoleInstanceId(), tech);
      // Target 0's outcome was recorded; target 1's audit event committed just before the stop, its outcome not.
      await m.store.recordOutcomes(id, [{ ...targets[0], position: 0, ok: true, state: "Disconnected", error: null }]);
      const { appendAuditEvents } = await import("@/lib/audit/append");
      await appendAuditEvents([{ actor: { id: tech.id, name: tech.username, role: tech.role }, action: "session.disconnect", outcome: "ok", sessionId: targets[1].sessionId, sessionName: targets[1].name, computerName: "JobSrv", params: { bulkJobId: id } }]);

      expect(await m.jobs.endJobsOfStoppedConsoles()).toBe(1);
      const job = await m.bulk.bulkJobOf(tech, id);
      expect(job).toMatchObject({ finished: true, total: 4 });
      expect(job!.outcomes).toEqual([
        { ...targets[0], ok: true, state: "Disconnected", error: null },
        { ...targets[1], ok: true, state: null, error: null },
        { ...targets[2], ok: false, state: null, error: m.jobs.INTERRUPTED },
        { ...targets[3], ok: false, state: null, error: m.jobs.INTERRUPTED },
      ]);
      const audited = () => m.db.auditEvent.findMany({ where: { action: "session.disconnect", params: { contains: id } }, select: { sessionId: true, outcome: true, error: true, params: true } });
      const events = await audited();
      expect(events.map((e) => e.sessionId).sort()).toEqual(targets.slice(1).map((t) => t.sessionId).sort());
      for (const e of events.filter((e) => e.sessionId !== targets[1].sessionId)) {
        expect(e).toMatchObject({ outcome: "error", error: m.jobs.INTERRUPTED });
        expect(JSON.parse(e.params)).toMatchObject({ bulkJobId: id, interrupted: true, stoppedInstance: stopped, endedBy: m.consoleInstanceId() });
      }
      // A second start (or a sweep that stopped halfway and runs again) ends nothing twice.
      expect(await m.jobs.endJobsOfStoppedConsoles()).toBe(0);
      expect(await m.jobs.endInterruptedJob(id, { stoppedInstance: stopped, endedBy: "again" })).toBe(false);
      expect(await audited()).toHaveLength(3);
      // This console's own running job is its own to finish.
      expect((await m.bulk.bulkJobOf(tech, mineRunning.id))!.finished).toBe(false);
      await m.store.recordJobFinish(mineRunning.id, { finishedAt: new Date(), cancelled: false });
    });

    it(`keeps a bounded history: a user's ${200} newest finished jobs, none older than ${30} days, pruned with their targets`, async () => {
      expect(m.store.KEEP_JOBS_PER_USER).toBe(200);
      expect(m.store.KEEP_JOBS_DAYS).toBe(30);
      const prolific = user("u-pat", "technician");
      const now = Date.now();
      const base = { actorId: prolific.id, actorName: "pat", actorRole: "technician", operation: "disconnect", throttleLimit: 1, total: 1, owner: "x" };
      const many = Array.from({ length: m.store.KEEP_JOBS_PER_USER + 5 }, (_, i) => ({ ...base, id: `keep-${String(i).padStart(3, "0")}`, startedAt: new Date(now - (1000 - i) * 60_000), finishedAt: new Date(now - (1000 - i) * 60_000 + 1000) }));
      await m.db.bulkJob.createMany({ data: many });
      await m.db.bulkJobTarget.createMany({ data: many.map((j) => ({ jobId: j.id, position: 0, sessionId: sessionIds[0], name: "Night00", computerName: "JobSrv", ok: true })) });
      // Someone else's month-old job, and a running one of the user's started long ago: only the finished old one goes.
      await m.db.bulkJob.createMany({
        data: [
          { ...base, actorId: other.id, actorName: "otto", id: "old-otto", startedAt: new Date(now - 31 * 86_400_000), finishedAt: new Date(now - 31 * 86_400_000) },
          { ...base, id: "old-running", startedAt: new Date(now - 40 * 86_400_000), finishedAt: null },
        ],
      });

      expect(await m.store.pruneJobs({ actorId: prolific.id })).toBe(5);
      const kept = await m.db.bulkJob.findMany({ where: { actorId: prolific.id }, select: { id: true }, orderBy: { startedAt: "asc" } });
      expect(kept.map((j) => j.id)).toEqual(["old-running", ...many.slice(5).map((j) => j.id)]);
      expect(await m.db.bulkJobTarget.count({ where: { jobId: { in: many.slice(0, 5).map((j) => j.id) } } })).toBe(0);
      expect(await m.db.bulkJob.count({ where: { id: "old-otto" } })).toBe(1);
      // At start, everyone's: the month-old finished job goes, nothing recent does.
      expect(await m.store.pruneJobs()).toBe(1);
      expect(await m.db.bulkJob.count({ where: { id: "old-otto" } })).toBe(0);
      expect(await m.db.bulkJob.count({ where: { actorId: prolific.id } })).toBe(m.store.KEEP_JOBS_PER_USER + 1);
      // The view lists the newest LISTED_JOBS of them.
      const listed = await m.bulk.listBulkJobs(prolific);
      expect(listed).toHaveLength(m.bulk.LISTED_JOBS);
      expect(listed[0].jobId).toBe(many.at(-1)!.id);
      await m.db.bulkJob.update({ where: { id: "old-running" }, data: { finishedAt: new Date() } });
    });
  });
}
