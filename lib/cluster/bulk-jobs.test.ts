import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TCluster, TRedis } from "@/lib/cluster/cluster";
import { preparePostgresTestDatabase, testRedis } from "@/lib/testing/shared-services";

// The cluster's sweep of bulk jobs whose console instance died, on the run's real Redis and
// PostgreSQL, without starting consoles (cluster.test.ts does that, with a build): the sweep
// stays the authority on when a job is ended, and the job's end and its interrupted targets go
// to the database too, each target audited once however often a sweep runs.
await preparePostgresTestDatabase("baton_cluster_jobs");
const { db } = await import("@/lib/db/client");
const { setCluster } = await import("@/lib/cluster/cluster");
const jobs = await import("@/lib/cluster/bulk-jobs");
const store = await import("@/lib/sessions/bulk-store");
const bulk = await import("@/lib/sessions/bulk");

let redis: TRedis;
let dead: TCluster;
let alive: TCluster;
const actor = { id: "u-mona", name: "mona", role: "manager" };

beforeAll(async () => {
  const r = testRedis("bulk-jobs");
  redis = createClient({ url: r.url }) as TRedis;
  await redis.connect();
  dead = { instanceId: "dead-instance", prefix: r.keyPrefix, redis };
  alive = { instanceId: "alive-instance", prefix: r.keyPrefix, redis };
  (await import("@/lib/audit/keys")).auditKeyring();
});

afterAll(async () => {
  setCluster(null);
  await redis?.close();
  await db.$disconnect();
});

/** A job the dead instance started: on record in the database and registered with the cluster. */
async function jobOfDeadInstance(n: number) {
  const id = crypto.randomUUID();
  const targets = Array.from({ length: n }, (_, i) => ({ sessionId: `s-${id.slice(0, 8)}-${i}`, name: `Bulk${i}`, computerName: "Srv2" }));
  await store.recordJobStart({ id, actor, operation: "disconnect", options: { throttleLimit: 1 }, startedAt: new Date(), owner: dead.instanceId }, targets);
  setCluster(dead);
  await jobs.registerClusterJob({ jobId: id, operation: "disconnect", actor, targets });
  setCluster(alive);
  return { id, targets };
}

describe("cluster sweep of bulk jobs", () => {
  it("ends a dead instance's job: its unfinished targets interrupted in the database and audited once", async () => {
    const { id, targets } = await jobOfDeadInstance(5);
    // Two targets were done before the instance died: outcomes recorded, settled with the cluster.
    await store.recordOutcomes(id, targets.slice(0, 2).map((t, position) => ({ ...t, position, ok: true, state: "Disconnected", error: null })));
    await jobs.settleClusterTargets(id, targets.slice(0, 2).map((t) => t.sessionId));

    // Its heartbeat key was never set (it is dead): the sweep claims the job and ends it.
    expect(await jobs.sweepInterruptedJobs(alive)).toBe(1);
    const job = await bulk.bulkJobOf({ id: actor.id, username: actor.name, displayName: actor.name, role: "manager", team: null }, id);
    expect(job).toMatchObject({ finished: true, total: 5 });
    expect(job!.outcomes.map((o) => [o.name, o.ok, o.error])).toEqual([
      ["Bulk0", true, null],
      ["Bulk1", true, null],
      ["Bulk2", false, jobs.INTERRUPTED],
      ["Bulk3", false, jobs.INTERRUPTED],
      ["Bulk4", false, jobs.INTERRUPTED],
    ]);
    const audited = () => db.auditEvent.findMany({ where: { params: { contains: id } }, select: { sessionId: true, params: true } });
    expect((await audited()).map((e) => e.sessionId).sort()).toEqual(targets.slice(2).map((t) => t.sessionId).sort());
    for (const e of await audited()) expect(JSON.parse(e.params)).toMatchObject({ interrupted: true, stoppedInstance: dead.instanceId, endedBy: alive.instanceId });
    // The cluster forgot it; nothing is ended or audited twice, by the sweep or by a start.
    expect(await jobs.sweepInterruptedJobs(alive)).toBe(0);
    expect(await jobs.endJobsOfStoppedConsoles()).toBe(0);
    expect(await audited()).toHaveLength(3);
  });

  it("at start in a cluster, ends only the jobs the sweep cannot know of: not in Redis, their runner's heartbeat gone", async () => {
    // Registered with the cluster: the sweep's to end, not the start's.
    const registered = await jobOfDeadInstance(2);
    // Only in the database (Redis lost it): its runner is dead.
    const forgotten = crypto.randomUUID();
    await store.recordJobStart({ id: forgotten, actor, operation: "disconnect", options: { throttleLimit: 1 }, startedAt: new Date(), owner: dead.instanceId }, [{ sessionId: "s-forgotten", name: "Lost0", computerName: "Srv2" }]);
    // Only in the database, its runner alive (between its row and its registration).
    const starting = crypto.randomUUID();
    await store.recordJobStart({ id: starting, actor, operation: "disconnect", options: { throttleLimit: 1 }, startedAt: new Date(), owner: "busy-instance" }, [{ sessionId: "s-starting", name: "New0", computerName: "Srv2" }]);
    await redis.set(`${alive.prefix}:instance:busy-instance`, "1", { expiration: { type: "PX", value: 60_000 } });

    expect(await jobs.endJobsOfStoppedConsoles()).toBe(1);
    expect((await store.readJob(forgotten))!.finishedAt).not.toBeNull();
    expect((await store.readJob(registered.id))!.finishedAt).toBeNull();
    expect((await store.readJob(starting))!.finishedAt).toBeNull();
    expect(await jobs.sweepInterruptedJobs(alive)).toBe(1);
    expect((await store.readJob(registered.id))!.finishedAt).not.toBeNull();
  });
});
