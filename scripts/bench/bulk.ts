/**
 * Bulk benchmark (`npm run bench:bulk`, issue 14). N targets (1,000) on real agents behind delay
 * proxies that add latency to every agent request and count them (in a process of their own, so
 * their work is not the console's), run through the console's own bulk jobs in this process (the
 * Fleet's links and ingestion, the audit chain, the store) at ThrottleLimit 32 and 4, in
 * interleaved rounds: round 1 disconnects at 32 and connects at 4, round 2 the other way round,
 * so each job leaves the sessions ready for the next and each limit runs both operations.
 *
 * Goal: wall time <= 1.5 x ceil(N / T) x one request's time, the reference measured in the same
 * run: the median of single disconnects and connects through the same proxies. Also printed: the
 * peak in flight (must equal T), requests (must equal N), outcomes, and the console's CPU per
 * target. Then (part 2, scripts/bench/bulk-page.ts; needs `npx next build` and Debian's Chromium)
 * the same jobs through the real console over its REST API, with the sessions page open in a
 * browser during the job and without it, interleaved, the page's fetches counted.
 * Every job is bounded by a timeout; the bench exits 0 whether or not a goal is met.
 * Env: BENCH_DATABASE (sqlite | postgres: a throwaway cluster), BENCH_TARGETS (1000),
 * BENCH_AGENTS (5), BENCH_DELAY_MS (50), BENCH_ROUNDS (2), BENCH_PAGE (1; 0 skips part 2), BENCH_PROFILE (a directory: each job's CPU
 * profile of this process, the console's side, is written there as <op>-T<limit>-<round>.cpuprofile).
 */
import "./server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import inspector from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { TSessionUser } from "../../lib/auth/session-store";
import type { RunningAgent } from "../../lib/agent/test/helpers";
import type { ProxyProcess } from "../../lib/testing/proxy-process";
import { startTestPostgres, type TestPostgres } from "../../lib/testing/postgres";
import { bounded } from "./bounded";
import { runWithPage, type TPageJob } from "./bulk-page";

const DATABASE = process.env.BENCH_DATABASE ?? "sqlite";
const TARGETS = Number(process.env.BENCH_TARGETS ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 5);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const GOAL = 1.5;
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** Part 2 (the real console, a browser page open during half its jobs); BENCH_PAGE=0 skips it. */
const PAGE = process.env.BENCH_PAGE !== "0";
const root = path.resolve(import.meta.dirname, "../..");
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" / ");
const manager: TSessionUser = { id: "u-bench-bulk", username: "bulkbench", displayName: "Bulk Bench", role: "manager", team: null };
const as = { id: manager.id, name: manager.username, roles: ["manager"] };

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

type TJobResult = { op: "disconnect" | "connect"; limit: number; wallMs: number; idealMs: number; peak: number; requests: number; failed: number; cpuMsPerTarget: number; loadAtEnd: string };

let cleanup: () => Promise<void> = async () => undefined;

async function main() {
  if (DATABASE !== "sqlite" && DATABASE !== "postgres") throw new Error(`BENCH_DATABASE must be sqlite or postgres, not ${DATABASE}`);
  const started = Date.now();
  console.log(`Baton bulk benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores, Node ${process.version}; ${TARGETS} targets on ${AGENTS} agents, ${DELAY_MS} ms added per agent request, ${DATABASE}; load average ${load()}`);

  // --- a fresh database, as the console opens it ---
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-bulk-"));
  let postgres: TestPostgres | null = null;
  let url = `file:${path.join(tmp, "bench.db")}`;
  if (DATABASE === "postgres") {
    postgres = await startTestPostgres();
    url = await postgres.createDatabase();
  }
  Object.assign(process.env, {
    DATABASE_URL: url,
    LOG_LEVEL: "warn",
    BATON_SECRET: "bench-bulk-secret-0123456789abcdef0123456789",
    BATON_AUDIT_KEY_FILE: path.join(tmp, "audit-keys.json"),
    BATON_AUDIT_CHECKPOINT_DIR: path.join(tmp, "audit-checkpoints"),
  });
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: root, env: { ...process.env }, stdio: ["ignore", "ignore", "inherit"] });
  // As server.ts opens SQLite: WAL, synchronous FULL (every commit durable).
  if (DATABASE === "sqlite") {
    const sqlite = new Database(url.slice("file:".length));
    sqlite.pragma("journal_mode = WAL");
    sqlite.close();
  }

  const { db } = await import("../../lib/db/client");
  const { seal } = await import("../../lib/crypto/secret-box");
  const { Fleet, setFleet } = await import("../../lib/fleet/fleet");
  const { AgentClient } = await import("../../lib/fleet/agent-client");
  const bulk = await import("../../lib/sessions/bulk");
  const { ZSessionFilters } = await import("../../lib/dto/sessions");
  const { startAgent, until } = await import("../../lib/agent/test/helpers");
  const { startProxyProcess } = await import("../../lib/testing/proxy-process");
  (await import("../../lib/audit/keys")).auditKeyring();

  const agents: RunningAgent[] = [];
  let proxies: ProxyProcess | null = null;
  let fleet: InstanceType<typeof Fleet> | null = null;
  const clients: InstanceType<typeof AgentClient>[] = [];
  cleanup = async () => {
    cleanup = async () => undefined;
    await fleet?.stop().catch(() => undefined);
    await proxies?.close().catch(() => undefined);
    for (const c of clients) c.close();
    await Promise.allSettled(agents.map((a) => a.stop()));
    await db.$disconnect().catch(() => undefined);
    postgres?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  await db.user.create({ data: { id: manager.id, username: manager.username, displayName: manager.displayName, role: manager.role, passwordHash: "unused" } });
  const perAgent = Math.ceil(TARGETS / AGENTS);
  const configurations = [{ name: "Microsoft.PowerShell", maxShells: perAgent + 20, maxShellsPerUser: perAgent + 20 }];
  agents.push(...(await Promise.all(Array.from({ length: AGENTS }, (_, i) => startAgent({ name: `Bulk${i + 1}`, configurations })))));
  proxies = await startProxyProcess({ targets: agents.map((a) => a.baseUrl), delayMs: DELAY_MS });
  const computers: { id: string; client: InstanceType<typeof AgentClient>; agent: RunningAgent }[] = [];
  for (const [i, agent] of agents.entries()) {
    const c = await db.computer.create({ data: { name: `Bulk${i + 1}`, address: proxies.baseUrls[i], tokenCiphertext: seal(agent.token) } });
    const client = new AgentClient({ baseUrl: proxies.baseUrls[i], token: agent.token });
    clients.push(client);
    computers.push({ id: c.id, client, agent });
  }
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  const f = fleet;
  await until(() => computers.every((c) => f.link(c.id).status === "online"), { what: "the agents' links online", timeoutMs: 60_000, intervalMs: 200 });

  // --- N sessions, opened on the agents directly (ten at a time per agent); the console learns of them from the streams ---
  const t0 = performance.now();
  await Promise.all(
    computers.map(async (c, i) => {
      const n = Math.min(perAgent, TARGETS - i * perAgent);
      for (let k = 0; k < n; k += 10) {
        await Promise.all(Array.from({ length: Math.min(10, n - k) }, (_, j) => c.agent.client.newSession(as, { name: `Target${i}-${String(k + j).padStart(4, "0")}`, configurationName: "Microsoft.PowerShell" })));
      }
      for (let k = 0; k < 5; k++) await c.agent.client.newSession(as, { name: `Probe${i}-${k}`, configurationName: "Microsoft.PowerShell" });
    }),
  );
  await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "target" } } })) === TARGETS, { what: `${TARGETS} sessions stored`, timeoutMs: 180_000, intervalMs: 200 });
  console.log(`opened ${TARGETS} sessions (plus ${5 * AGENTS} probes) in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()}`);

  // --- the reference: one request at a time through the same proxies ---
  const single = { disconnect: [] as number[], connect: [] as number[] };
  for (const c of computers) {
    const probes = (await c.agent.client.listSessions(as)).filter((s) => s.name.startsWith("Probe"));
    for (const s of probes) {
      for (const op of ["disconnect", "connect"] as const) {
        const t = performance.now();
        await (op === "disconnect" ? c.client.disconnect(as, s.instanceId) : c.client.connect(as, s.instanceId));
        single[op].push(performance.now() - t);
      }
    }
  }
  const singleMs = { disconnect: median(single.disconnect), connect: median(single.connect) };
  console.log(`one request alone through the proxy, median of ${single.disconnect.length}: disconnect ${singleMs.disconnect.toFixed(1)} ms, connect ${singleMs.connect.toFixed(1)} ms`);

  let profiled = 0;
  const runJob = async (op: "disconnect" | "connect", limit: number): Promise<TJobResult> => {
    const r0 = performance.now();
    const c0 = process.cpuUsage();
    const records = await bulk.resolveTargets(manager, { filters: ZSessionFilters.parse({ name: "Target*" }) });
    const rc = process.cpuUsage(c0);
    console.log(`  (the selection resolved in ${(performance.now() - r0).toFixed(0)} ms, ${((rc.user + rc.system) / 1000).toFixed(0)} ms of CPU; not part of the job's figures below)`);
    if (records.length !== TARGETS) throw new Error(`expected ${TARGETS} targets, the selection resolved ${records.length}`);
    await proxies!.reset();
    const profiler = PROFILE_DIR ? new inspector.Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
    }
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const { jobId, total } = await bulk.startBulkJob(manager, op, records, { throttleLimit: limit });
    const outcomes = await bounded((await bulk.bulkJobOf(manager, jobId))!.done!, `${op} at ThrottleLimit ${limit}`, 600_000);
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    if (profiler) {
      const { profile } = await profiler.post("Profiler.stop");
      fs.mkdirSync(PROFILE_DIR!, { recursive: true });
      fs.writeFileSync(path.join(PROFILE_DIR!, `${op}-T${limit}-${++profiled}.cpuprofile`), JSON.stringify(profile));
      profiler.disconnect();
    }
    const { combined } = await proxies!.stats();
    const want = op === "disconnect" ? "Disconnected" : "Opened";
    const failed = outcomes.filter((o) => !o.ok).length;
    for (const o of outcomes.filter((x) => !x.ok).slice(0, 3)) console.log(`  failed: ${o.computerName}/${o.name}: ${o.error}`);
    // The store follows the agents' events (a failed target may or may not have changed).
    await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "target" }, state: want } })) >= TARGETS - failed, {
      what: `the store shows at least ${TARGETS - failed} ${want}`,
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    return {
      op,
      limit,
      wallMs,
      idealMs: Math.ceil(total / limit) * singleMs[op],
      peak: combined.peak,
      requests: combined.total,
      failed,
      cpuMsPerTarget: (cpu.user + cpu.system) / 1000 / total,
      loadAtEnd: load(),
    };
  };

  const results: TJobResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [first, second] = round % 2 === 0 ? [32, 4] : [4, 32];
    for (const [op, limit] of [["disconnect", first], ["connect", second]] as const) {
      const r = await runJob(op, limit);
      results.push(r);
      console.log(
        `  round ${round + 1}: ${op} N=${TARGETS} T=${limit}: ${(r.wallMs / 1000).toFixed(2)} s, ideal ${(r.idealMs / 1000).toFixed(2)} s (ratio ${(r.wallMs / r.idealMs).toFixed(2)}); ` +
          `peak ${r.peak}, requests ${r.requests}, failed ${r.failed}; console CPU ${r.cpuMsPerTarget.toFixed(2)} ms per target; load ${r.loadAtEnd}`,
      );
    }
  }

  // --- part 2: the real console, the sessions page open in a browser during half the jobs ---
  let paged: TPageJob[] = [];
  if (PAGE) {
    await f.stop(); // one console at a time: the server below links to the agents itself
    fleet = null;
    const { createAccessToken } = await import("../../lib/auth/access-tokens");
    const { createAuthSession, sessionCookie } = await import("../../lib/auth/session-store");
    const { token } = await createAccessToken({ actor: manager, input: { name: "bench:bulk", expiresInDays: 1 } });
    const cookie = { name: sessionCookie().name, value: (await createAuthSession(manager.id)).token };
    // The server migrates the database as it starts (nothing to do, but it takes the write lock): this process lets go of it first.
    await db.$disconnect();
    console.log(`\nthe same jobs through the real console (its REST API), the sessions page open in Chromium or not, interleaved:`);
    // Page open, then closed, for each operation and limit; the next round the other way round.
    const plan = Array.from({ length: ROUNDS }, (_, round) =>
      [32, 4].flatMap((limit) => (["disconnect", "connect"] as const).map((op, k) => ({ op, limit, page: (round + k) % 2 === 0 }))),
    ).flat();
    try {
      paged = await runWithPage(
        {
          root,
          env: Object.fromEntries(["DATABASE_URL", "BATON_SECRET", "BATON_AUDIT_KEY_FILE", "BATON_AUDIT_CHECKPOINT_DIR"].map((k) => [k, process.env[k]!])),
          targets: TARGETS,
          singleMs,
          cookie,
          token,
          storeShows: async (state, count) => {
            await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "target" }, state } })) >= count, { what: `the store shows at least ${count} ${state}`, timeoutMs: 120_000, intervalMs: 200 });
          },
          load,
        },
        plan,
      );
    } catch (err) {
      console.log(`  the jobs through the real console stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  console.log(`\n| job | goal | wall / ideal | reference: ideal (ceil(N/T) x one request) | peak in flight | requests | failed | console CPU per target | met |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of results) {
    const ratio = r.wallMs / r.idealMs;
    const exact = r.peak === r.limit && r.requests === TARGETS && r.failed === 0;
    console.log(
      `| ${r.op} N=${TARGETS} T=${r.limit} (${DATABASE}) | <= ${GOAL} | ${ratio.toFixed(2)} (${(r.wallMs / 1000).toFixed(2)} s) | ${(r.idealMs / 1000).toFixed(2)} s | ${r.peak} | ${r.requests} | ${r.failed} | ${r.cpuMsPerTarget.toFixed(2)} ms | ${ratio <= GOAL && exact ? "met" : "not met"} |`,
    );
  }
  if (paged.length > 0) {
    console.log(`\n| job through the real console | goal | wall / ideal | ideal | failed | console CPU per target | the page's fetches during the job: lists / row reads / computers | met |`);
    console.log(`|---|---|---|---|---|---|---|---|`);
    for (const r of paged) {
      const ratio = r.wallMs / r.idealMs;
      console.log(
        `| ${r.op} N=${TARGETS} T=${r.limit} (${DATABASE}), page ${r.page ? "open" : "closed"} | <= ${GOAL} | ${ratio.toFixed(2)} (${(r.wallMs / 1000).toFixed(2)} s) | ${(r.idealMs / 1000).toFixed(2)} s | ${r.failed} | ${r.cpuMsPerTarget.toFixed(2)} ms | ${r.page ? `${r.fetches.lists} / ${r.fetches.rows} / ${r.fetches.computers}` : "-"} | ${ratio <= GOAL && r.failed === 0 ? "met" : "not met"} |`,
      );
    }
  }
  console.log(`\nbench:bulk finished in ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${load()}`);
}

main()
  .catch((err) => {
    console.error(`\nbench:bulk stopped: ${err instanceof Error ? err.message : String(err)}`);
  })
  .finally(async () => {
    await cleanup();
    process.exit(0);
  });
