/**
 * Audit trail benchmark (`npm run bench:audit`). Builds a temporary SQLite database with the
 * project's migrations (append-only triggers included) and prints:
 *  1. seeding: 1,000,000 events hashed and MACed exactly as the appender does (lib/audit/chain.ts,
 *     redactParams), inserted in batches inside transactions, then one signed checkpoint over
 *     them, as a running console would have written (setup steps, not goals);
 *  2. ingest through the real appendAuditEvent, one event at a time and with 8 and 64 in flight
 *     (group commit: appends waiting together share one commit; goal >= 2,000 events/s), and
 *     8 in flight against one commit per append (the appender before group commit), the two
 *     interleaved round by round;
 *  3. filtered, keyset-paged queries through the page's own data function listAuditEvents
 *     (actor + time range, action + outcome, each walking 5 pages; goal p95 <= 100 ms), plus
 *     other filters for information;
 *  4. a full verifyAuditChain over everything, MACs and checkpoints included (goal <= 15 s at 1M),
 *     and the routine check since the newest checkpoint (mode "since-checkpoint", goal < 1 s)
 *     with the full verify as its reference.
 * Env: BENCH_EVENTS (1000000), BENCH_INGEST (20000), BENCH_INGEST_FSYNC (1000, for the fsync-bound
 *   settings), BENCH_SAMPLES (100 per query kind),
 * BENCH_KEEP_DB=1 to keep the database file (its path is printed).
 */
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import fs from "node:fs";
import "./server-only";
import os from "node:os";
import path from "node:path";
import { sessionNameKey } from "../../lib/dto/sessions";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const INGEST = Number(process.env.BENCH_INGEST ?? 20_000);
const INGEST_SHIPPED = Number(process.env.BENCH_INGEST_FSYNC ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const PAGES = 5;
const QUERY_GOAL_MS = 100;
const VERIFY_GOAL_S = 15;
const QUICK_VERIFY_GOAL_MS = 1000;
const QUICK_RUNS = 5;
const INGEST_GOAL = 2000;
const INGEST_ROUNDS = 3;
const DAYS = 90;

const root = path.resolve(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-audit-"));
const dbFile = path.join(tmp, "audit.db");
process.env.DATABASE_URL = `file:${dbFile}`;
process.env.LOG_LEVEL = "silent";
// The audit keyring and checkpoints of this throwaway trail, beside it (never the repo's data/).
process.env.BATON_AUDIT_KEY_FILE = path.join(tmp, "audit-keys.json");
process.env.BATON_AUDIT_CHECKPOINT_DIR = path.join(tmp, "audit-checkpoints");


execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: root, env: process.env, stdio: "pipe" });

const { db } = await import("../../lib/db/client");
const { eventHash, eventMac, GENESIS_HASH } = await import("../../lib/audit/chain");
const { auditKeyring } = await import("../../lib/audit/keys");
const { writeAuditCheckpoint } = await import("../../lib/audit/checkpoint");
const auditKey = auditKeyring().current;
const { appendAuditEvent, redactParams } = await import("../../lib/audit/append");
const { verifyAuditChain } = await import("../../lib/audit/verify");
const { listAuditEvents } = await import("../../lib/data/audit/list-audit-events");
type TQuery = NonNullable<Parameters<typeof listAuditEvents>[0]["query"]>;

// ---------- helpers ----------

/** Deterministic PRNG (mulberry32): the same trail on every run. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261124);
const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
/** Weighted choice over [value, weight] pairs. */
function weighted<T>(pairs: readonly (readonly [T, number])[]): () => T {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = rand() * total;
    for (const [v, w] of pairs) if ((r -= w) < 0) return v;
    return pairs[pairs.length - 1][0];
  };
}
function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const fmt = (n: number) => n.toLocaleString("en-US");
const ms = (n: number) => `${n.toFixed(1)} ms`;
const secs = (n: number) => `${(n / 1000).toFixed(1)} s`;
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

type TResult = { measure: string; value: string; goal: string; met: boolean | null };
const results: TResult[] = [];

// ---------- 1. the fleet and 1M events ----------

const started = performance.now();
log(`temp database ${dbFile}; ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);

const ROLE_OF = weighted([
  ["technician", 150],
  ["manager", 30],
  ["helpdesk", 10],
  ["auditor", 5],
  ["admin", 5],
] as const);
const users = Array.from({ length: 200 }, (_, i) => ({ id: `bench-user-${i}`, username: `user${String(i).padStart(3, "0")}`, role: ROLE_OF() }));
await db.user.createMany({ data: users.map((u) => ({ ...u, displayName: u.username, passwordHash: "x" })) });
const computers = Array.from({ length: 100 }, (_, i) => ({ id: `bench-computer-${i}`, name: `Srv${i + 1}` }));
await db.computer.createMany({ data: computers.map((c) => ({ ...c, address: "http://127.0.0.1:9", tokenCiphertext: "x" })) });
const sessions = Array.from({ length: 5000 }, (_, i) => {
  const owner = users[i % users.length];
  const name = `${pick(["ITTask", "Patch", "Backup", "Deploy", "Diag"])}${i}`;
  return { id: `cbenchsession${String(i).padStart(12, "0")}`, computer: computers[i % computers.length], owner, name };
});
await db.session.createMany({
  data: sessions.map((s, i) => ({
    id: s.id,
    computerId: s.computer.id,
    computerName: s.computer.name,
    agentSessionId: i + 1,
    instanceId: `bench-instance-${i}`,
    name: s.name,
    nameKey: sessionNameKey(s.name),
    configurationName: "Microsoft.PowerShell",
    ownerId: s.owner.id,
    ownerName: s.owner.username,
    state: "Closed",
    idleTimeoutSec: 7200,
    outputBufferingMode: "Block",
  })),
});

const ACTION = weighted([
  ["session.run", 40],
  ["auth.sign-in", 10],
  ["session.connect", 9],
  ["session.disconnect", 9],
  ["session.receive", 8],
  ["session.new", 8],
  ["session.remove", 6],
  ["session.handoff", 3],
  ["session.idle-expired", 2],
  ["session.bulk", 1],
  ["session.preview", 1],
  ["configuration.update", 1],
  ["user.create", 1],
  ["computer.register", 1],
] as const);
const OUTCOME = weighted([
  ["ok", 92],
  ["refused", 6],
  ["error", 2],
] as const);
// A few busy people and many occasional ones, as on a real team.
const actorIndex = () => Math.floor(users.length * rand() ** 2);

const spanMs = DAYS * 86_400_000;
const t0 = Date.now() - spanMs - 3_600_000;
const BATCH = 10_000;
let prevHash = GENESIS_HASH;
const seedStart = performance.now();
// Seeding writes through its own better-sqlite3 connection with a large page cache (the two
// unique hash indexes take random inserts); rows are stored exactly as Prisma stores them
// (checked below against rows the real appender writes).
const raw = new Database(dbFile);
raw.pragma("journal_mode = WAL");
raw.pragma("synchronous = NORMAL");
raw.pragma("cache_size = -1048576"); // 1 GiB: the whole trail of a million events stays in memory while seeding
const insert = raw.prepare(
  `INSERT INTO "AuditEvent" (seq, at, actorId, actorName, actorRole, action, outcome, computerName, sessionId, sessionName, params, error, prevHash, hash, keyId, mac)
   VALUES (@seq, @at, @actorId, @actorName, @actorRole, @action, @outcome, @computerName, @sessionId, @sessionName, @params, @error, @prevHash, @hash, @keyId, @mac)`,
);
const insertBatch = raw.transaction((rows: Record<string, unknown>[]) => {
  for (const r of rows) insert.run(r);
});
const storedAt = (d: Date) => d.toISOString().replace("Z", "+00:00");
for (let from = 1; from <= EVENTS; from += BATCH) {
  const batch: Record<string, unknown>[] = [];
  for (let seq = from; seq < Math.min(EVENTS + 1, from + BATCH); seq++) {
    const action = ACTION();
    const outcome = OUTCOME();
    const user = users[actorIndex()];
    const s = action.startsWith("session.") && action !== "session.bulk" && action !== "session.preview" ? pick(sessions) : null;
    const agent = action === "session.idle-expired";
    const fields = {
      seq,
      at: new Date(t0 + Math.floor(((seq - 1) / EVENTS) * spanMs)),
      actorId: agent ? null : user.id,
      actorName: agent ? "agent" : user.username,
      actorRole: agent ? "system" : user.role,
      action,
      outcome,
      computerName: s ? s.computer.name : action === "computer.register" ? pick(computers).name : null,
      sessionId: s && !(action === "session.new" && outcome !== "ok") ? s.id : null,
      sessionName: s ? s.name : null,
      params: redactParams(action === "session.run" ? { command: `Get-Process -Name svc${seq % 97}`, sessionId: s?.id } : { seq }),
      error: outcome === "ok" ? null : outcome === "refused" ? "FORBIDDEN: Your role may not do this." : "INTERNAL: Something went wrong on the server.",
    };
    const hash = eventHash(prevHash, fields);
    batch.push({ ...fields, at: storedAt(fields.at), prevHash, hash, keyId: auditKey.id, mac: eventMac(auditKey.hmac, auditKey.id, hash) });
    prevHash = hash;
  }
  insertBatch(batch);
  if ((from - 1 + BATCH) % 200_000 === 0) log(`seeded ${fmt(from - 1 + BATCH)} events`);
}
raw.pragma("wal_checkpoint(TRUNCATE)");
const seedMs = performance.now() - seedStart;
log(`seeded ${fmt(EVENTS)} events in ${secs(seedMs)} (${fmt(Math.round(EVENTS / (seedMs / 1000)))} events/s, batched; setup, not a goal)`);
results.push({ measure: `seed ${fmt(EVENTS)} events (chain hashed, ${fmt(BATCH)} per transaction)`, value: `${secs(seedMs)} (${fmt(Math.round(EVENTS / (seedMs / 1000)))}/s)`, goal: "setup", met: null });
const fileMb = fs.statSync(dbFile).size / 1024 / 1024;
raw.close();

// A console that had been running would have signed checkpoints along the way; the first one
// here verifies the whole seeded trail once, so the ingest below pays only for its own.
const cpStart = performance.now();
await writeAuditCheckpoint();
log(`first checkpoint over ${fmt(EVENTS)} events in ${secs(performance.now() - cpStart)} (setup, not a goal)`);
results.push({ measure: `first signed checkpoint over ${fmt(EVENTS)} events (verifies them all once)`, value: secs(performance.now() - cpStart), goal: "setup", met: null });

// ---------- 2. ingest through the real appender ----------

type TRate = { perSecond: number; cpuMsPerEvent: number };

/**
 * `oneCommitEach` reproduces the appender before group commit: the callers' appends pass one at
 * a time, so the appender never has more than one waiting and each gets its own commit.
 */
async function ingest(n: number, inFlight: number, { oneCommitEach = false } = {}): Promise<TRate> {
  let next = 0;
  let serial: Promise<unknown> = Promise.resolve();
  const append = (input: Parameters<typeof appendAuditEvent>[0]) => {
    if (!oneCommitEach) return appendAuditEvent(input);
    const run = serial.then(() => appendAuditEvent(input));
    serial = run.catch(() => undefined);
    return run;
  };
  const cpu = process.cpuUsage();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const user = users[actorIndex()];
        const s = pick(sessions);
        await append({
          actor: { id: user.id, name: user.username, role: user.role },
          action: "session.run",
          outcome: "ok",
          computerName: s.computer.name,
          sessionId: s.id,
          sessionName: s.name,
          params: { command: `echo ingest ${i}`, password: "never stored" },
        });
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perSecond: n / ((performance.now() - t) / 1000), cpuMsPerEvent: (used.user + used.system) / 1000 / n };
}
const rate = (r: TRate) => `${fmt(Math.round(r.perSecond))} events/s (CPU ${r.cpuMsPerEvent.toFixed(2)} ms/event)`;

// The console opens SQLite in WAL mode with synchronous=FULL (server.ts), so each commit is
// one durable append to the log. Measured that way first, then with the old rollback journal
// for comparison, and with several appends in flight (the append queue serialises them).
await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
await db.$executeRawUnsafe("PRAGMA synchronous = FULL");
const ingestRuns: { label: string; n: number; inFlight: number; pragmas?: string[] }[] = [
  { label: "sequential, SQLite as the console opens it (WAL, synchronous=FULL)", n: INGEST, inFlight: 1 },
  { label: "8 in flight, WAL, synchronous=FULL", n: Math.round(INGEST / 4), inFlight: 8 },
  { label: "64 in flight, WAL, synchronous=FULL", n: Math.round(INGEST / 4), inFlight: 64 },
  { label: "sequential, rollback journal (before the console switched to WAL)", n: INGEST_SHIPPED, inFlight: 1, pragmas: ["PRAGMA journal_mode = DELETE"] },
];
for (const run of ingestRuns) {
  for (const p of run.pragmas ?? []) await db.$queryRawUnsafe(p);
  const r = await ingest(run.n, run.inFlight);
  log(`ingest, ${run.label}: ${rate(r)}`);
  results.push({ measure: `ingest via appendAuditEvent, ${fmt(run.n)} events, ${run.label}`, value: rate(r), goal: `≥ ${fmt(INGEST_GOAL)}/s`, met: r.perSecond >= INGEST_GOAL });
}

// Before / after group commit, interleaved: 8 callers in flight, each round running both.
{
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  const n = Math.max(8, Math.round(INGEST / 8));
  const ratios: number[] = [];
  for (let round = 1; round <= INGEST_ROUNDS; round++) {
    const order = round % 2 ? (["before", "after"] as const) : (["after", "before"] as const);
    const got: Record<string, TRate> = {};
    for (const which of order) got[which] = await ingest(n, 8, { oneCommitEach: which === "before" });
    ratios.push(got.after.perSecond / got.before.perSecond);
    log(`ingest round ${round} (${order.join(" then ")}), 8 in flight, ${fmt(n)} events each: one commit per append ${rate(got.before)}; group commit ${rate(got.after)}`);
    results.push({ measure: `ingest round ${round}, 8 in flight, ${fmt(n)} events: one commit per append (before) vs group commit (after)`, value: `${rate(got.before)} vs ${rate(got.after)}`, goal: `after ≥ ${fmt(INGEST_GOAL)}/s`, met: got.after.perSecond >= INGEST_GOAL });
  }
  ratios.sort((a, b) => a - b);
  log(`ingest, group commit / one commit per append, median of ${INGEST_ROUNDS} rounds: ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}×`);
  results.push({ measure: `ingest speed-up of group commit, 8 in flight (median of ${INGEST_ROUNDS} interleaved rounds)`, value: `${ratios[Math.floor(ratios.length / 2)].toFixed(2)}×`, goal: "reported", met: null });
}

// Not what the appender does today: the same events hashed in order and written 100 per
// transaction through the same Prisma client (group commit), to size that option.
{
  const n = INGEST;
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let done = 0; done < n; done += 100) {
    await db.$transaction(async (tx) => {
      const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
      let prev = last!.hash;
      const rows = [];
      for (let k = 0; k < 100; k++) {
        const user = users[actorIndex()];
        const s = pick(sessions);
        const fields = {
          seq: last!.seq + 1 + k,
          at: new Date(),
          actorId: user.id,
          actorName: user.username,
          actorRole: user.role,
          action: "session.run",
          outcome: "ok",
          computerName: s.computer.name,
          sessionId: s.id,
          sessionName: s.name,
          params: redactParams({ command: `echo group ${done + k}` }),
          error: null,
        };
        const hash = eventHash(prev, fields);
        rows.push({ ...fields, prevHash: prev, hash, keyId: auditKey.id, mac: eventMac(auditKey.hmac, auditKey.id, hash) });
        prev = hash;
      }
      await tx.auditEvent.createMany({ data: rows });
    });
  }
  const used = process.cpuUsage(cpu);
  const r = { perSecond: n / ((performance.now() - t) / 1000), cpuMsPerEvent: (used.user + used.system) / 1000 / n };
  log(`group commit (100 per transaction, not the appender): ${rate(r)}`);
  results.push({ measure: `for comparison, not the appender: ${fmt(n)} events written 100 per transaction (group commit), WAL + synchronous=NORMAL`, value: rate(r), goal: "reported", met: null });
}

// Seeded rows must be stored exactly as the appender's: same text form of `at`, or the time
// filters would compare unlike strings.
{
  const check = new Database(dbFile, { readonly: true });
  const [first, last] = [1, EVENTS + 1].map((seq) => (check.prepare(`SELECT at FROM "AuditEvent" WHERE seq = ?`).get(seq) as { at: string }).at);
  check.close();
  const shape = (v: string) => v.replace(/\d/g, "9");
  if (shape(first) !== shape(last)) throw new Error(`seeded rows store at as ${first}, the appender as ${last}`);
}

// ---------- 3. filtered, keyset-paged queries through the data function ----------

const auditor = { id: "bench-auditor", username: "auditor", displayName: "Auditor", role: "auditor" as const, team: null };
const day = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** Walks `pages` pages with Older, timing each call; returns the per-call times and rows seen. */
async function walk(query: TQuery, pages: number): Promise<{ times: number[]; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  let before: number | undefined;
  for (let p = 0; p < pages; p++) {
    const t = performance.now();
    const page = await listAuditEvents({ actor: auditor, query: { ...query, before } });
    times.push(performance.now() - t);
    rows += page.rows.length;
    if (page.older === null) break;
    before = page.older;
  }
  return { times, rows };
}

const kinds: { name: string; goal: boolean; make: () => TQuery }[] = [
  {
    name: "actor + time range (7 days)",
    goal: true,
    make: () => {
      const from = t0 + rand() * (spanMs - 7 * 86_400_000);
      return { actor: users[actorIndex()].username, from: day(from), to: day(from + 7 * 86_400_000) };
    },
  },
  { name: "action + outcome", goal: true, make: () => ({ action: ACTION(), outcome: pick(["ok", "refused", "error"] as const) }) },
  { name: "no filter (newest pages)", goal: false, make: () => ({}) },
  { name: "outcome = error", goal: false, make: () => ({ outcome: "error" }) },
  { name: "computer + action", goal: false, make: () => ({ computer: pick(computers).name, action: ACTION() }) },
  { name: "session id", goal: false, make: () => ({ session: pick(sessions).id }) },
  { name: "session name", goal: false, make: () => ({ session: pick(sessions).name }) },
  {
    name: "time range only, deep in the past (1 day)",
    goal: false,
    make: () => {
      const from = t0 + rand() * (spanMs / 3);
      return { from: day(from), to: day(from + 86_400_000) };
    },
  },
];

// Warm the page cache and the Prisma client the way a running console would be.
for (const k of kinds) await walk(k.make(), 2);

const queryRows: string[][] = [["query (listAuditEvents, size 50)", "calls", "p50", "p95", "max", "rows/walk"]];
for (const k of kinds) {
  const times: number[] = [];
  let rows = 0;
  const samples = k.name.startsWith("session name") ? Math.min(SAMPLES, 20) : SAMPLES;
  for (let i = 0; i < samples; i++) {
    const r = await walk({ ...k.make(), size: 50 }, PAGES);
    times.push(...r.times);
    rows += r.rows;
  }
  const p95 = pct(times, 95);
  queryRows.push([k.name, String(times.length), ms(pct(times, 50)), ms(p95), ms(Math.max(...times)), fmt(Math.round(rows / samples))]);
  results.push({ measure: `query: ${k.name}, ${PAGES} pages per walk, p95 (p50, max)`, value: `${ms(p95)} (${ms(pct(times, 50))}, ${ms(Math.max(...times))})`, goal: k.goal ? `≤ ${QUERY_GOAL_MS} ms` : "reported", met: k.goal ? p95 <= QUERY_GOAL_MS : null });
  log(`${k.name}: p95 ${ms(p95)}`);
}

// ---------- 4. full chain verification ----------

const total = EVENTS + ingestRuns.reduce((sum, r) => sum + r.n, 0) + INGEST;
const vt = performance.now();
const vcpu = process.cpuUsage();
const verdict = await verifyAuditChain();
const verifyMs = performance.now() - vt;
const verifyCpu = process.cpuUsage(vcpu);
log(`verify: ${JSON.stringify(verdict)} in ${secs(verifyMs)}`);
results.push({
  measure: `verifyAuditChain over ${fmt(verdict.ok ? verdict.count : total)} events`,
  value: verdict.ok ? `${secs(verifyMs)} (intact, ${fmt(verdict.count)}; CPU ${secs((verifyCpu.user + verifyCpu.system) / 1000)})` : `BROKEN at #${verdict.brokenAt}: ${verdict.reason}`,
  goal: `≤ ${VERIFY_GOAL_S} s`,
  // Every event the bench wrote is in the count (seeded, ingested, the rounds): at least `total`.
  met: verdict.ok && verdict.count >= total && verifyMs <= VERIFY_GOAL_S * 1000,
});

// The routine check: the checkpoints among themselves, then the newest checkpoint's event and
// the events after it (the running console wrote a checkpoint every
// BATON_AUDIT_CHECKPOINT_EVERY events during the ingest above). Median of a few runs.
{
  const times: number[] = [];
  let quick: Awaited<ReturnType<typeof verifyAuditChain>> | null = null;
  for (let i = 0; i < QUICK_RUNS; i++) {
    const t = performance.now();
    quick = await verifyAuditChain({ mode: "since-checkpoint" });
    times.push(performance.now() - t);
  }
  const median = pct(times, 50);
  log(`verify since the last checkpoint: ${JSON.stringify(quick)}; median ${ms(median)} of ${QUICK_RUNS}`);
  const covered = quick?.since ? `${fmt(quick.count)} events from #${fmt(quick.since.seq)}, checkpoint ${quick.since.checkpoint} of ${fmt(quick.checkpoints)}` : "no checkpoint";
  results.push({
    measure: `verify since the last checkpoint (routine check), median of ${QUICK_RUNS}; reference: the full verify above, ${secs(verifyMs)}`,
    value: quick?.ok ? `${ms(median)} (${covered}; max ${ms(Math.max(...times))})` : `BROKEN: ${quick && !quick.ok ? quick.reason : "?"}`,
    goal: `< ${fmt(QUICK_VERIFY_GOAL_MS)} ms`,
    met: !!quick?.ok && quick.since !== null && median < QUICK_VERIFY_GOAL_MS,
  });
}

// ---------- report ----------

console.log("");
console.log(table(queryRows));
console.log("");
console.log(table([["measure", "value", "goal", "met"], ...results.map((r) => [r.measure, r.value, r.goal, r.met === null ? "–" : r.met ? "yes" : "NO"])]));
console.log("");
console.log(`database: ${fmt(total)} events, ${fileMb.toFixed(0)} MB after seeding; total run ${secs(performance.now() - started)}; load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log("");
console.log("| measure | goal | measured | met |");
console.log("|---|---|---|---|");
for (const r of results) console.log(`| ${r.measure} | ${r.goal} | ${r.value} | ${r.met === null ? "–" : r.met ? "yes" : "**no**"} |`);

await db.$disconnect();
if (process.env.BENCH_KEEP_DB === "1") console.log(`kept ${dbFile}`);
else fs.rmSync(tmp, { recursive: true, force: true });
// A benchmark reports; it exits 0 whether the goals are met or not.
