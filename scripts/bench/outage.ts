/**
 * Store outage under load (`npm run bench:outage`, issue 15). A real console (production build,
 * demo fleet) on its own PostgreSQL (Debian's, started here on a free port, removed after);
 * three workers loop new → disconnect → connect → remove through the REST API with a personal
 * access token, while PostgreSQL is restarted `-m fast`, then `-m immediate`, then stopped for
 * BENCH_OUTAGE_S (12) seconds. Then, after the console's sweeps have run, every action is checked
 * against the audit trail:
 *   - sent / ok (2xx) / failed (by code) / "took effect, recorded later" (503 with that wording);
 *   - without audit: an action that answered ok, or said it took effect, with no audit event of
 *     its outcome for that session (goal: 0); and sessions in the store with no `session.new`
 *     event (goal: 0);
 *   - recovery: from PostgreSQL accepting connections again to the first ok action (per outage);
 *   - the chain verifies.
 * Env: BENCH_WORKERS (3), BENCH_PHASE_S (12: the load between outages), BENCH_OUTAGE_S (12).
 * Prints goal / figure / met and exits 0 whether the goals are met or not.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import "./server-only";
import os from "node:os";
import path from "node:path";
import { findPostgresBin, startTestPostgres, type TestPostgres } from "../../lib/testing/postgres";
import { ensureBuild, freePort, freePortRange, startConsole, type TConsole } from "./console-server";

const WORKERS = Number(process.env.BENCH_WORKERS ?? 3);
const PHASE_MS = Number(process.env.BENCH_PHASE_S ?? 12) * 1000;
const OUTAGE_MS = Number(process.env.BENCH_OUTAGE_S ?? 12) * 1000;
const REQUEST_TIMEOUT_MS = 20_000;
const COMPUTERS = ["Server01", "Server12", "Srv1", "Srv2", "Srv30"];
const root = path.resolve(import.meta.dirname, "../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TOp = "new" | "disconnect" | "connect" | "remove";
type TRecord = { op: TOp; sessionId: string | null; name: string; status: number; code: string | null; message: string | null; at: number };

let postgres: TestPostgres | undefined;
let consoleProc: TConsole | undefined;

async function main() {
  if (!findPostgresBin()) throw new Error("needs Debian's postgresql");
  ensureBuild(root);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-outage-"));
  postgres = await startTestPostgres();
  await postgres.createDatabase();
  const env = {
    DATABASE_URL: postgres.url("baton"),
    BATON_SECRET: randomBytes(32).toString("hex"),
    BATON_AUDIT_KEY_FILE: path.join(tmp, "audit-keys.json"),
    BATON_AUDIT_CHECKPOINT_DIR: path.join(tmp, "audit-checkpoints"),
  };
  Object.assign(process.env, env);
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: root, env: { ...process.env }, stdio: ["ignore", "ignore", "inherit"] });
  const agentBasePort = await freePortRange(COMPUTERS.length);
  consoleProc = await startConsole({
    root,
    env: {
      ...env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      BATON_DEMO: "1",
      BATON_DEMO_AGENT_PORT: String(agentBasePort),
      BATON_DEMO_FLEET_DIR: path.join(tmp, "demo-fleet"),
      BATON_DEMO_FLEET_RESET: "1",
      LOG_LEVEL: "error",
    },
  });
  const base = consoleProc.baseUrl;
  const { db } = await import("../../lib/db/client");
  const { createAccessToken } = await import("../../lib/auth/access-tokens");
  const deadline = Date.now() + 60_000;
  while ((await db.computer.count({ where: { name: { in: COMPUTERS }, status: "online" } })) < COMPUTERS.length) {
    if (Date.now() > deadline) throw new Error("the demo agents did not come online");
    await sleep(250);
  }
  const tech = await db.user.findUniqueOrThrow({ where: { username: "tech" }, select: { id: true, username: true, displayName: true, role: true, team: true } });
  const { token } = await createAccessToken({ actor: { ...tech, role: tech.role as "technician" }, input: { name: "bench-outage", expiresInDays: 1 } });
  const computers = await db.computer.findMany({ where: { name: { in: COMPUTERS } }, select: { id: true, name: true } });

  const records: TRecord[] = [];
  const call = async (op: TOp, method: string, url: string, body: unknown, sessionId: string | null, name: string): Promise<{ ok: boolean; id: string | null }> => {
    let status = 0;
    let code: string | null = null;
    let message: string | null = null;
    let id: string | null = sessionId;
    try {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = res.status;
      const json = (await res.json().catch(() => null)) as { data?: { id?: string }; error?: { code: string; message: string } } | null;
      if (res.ok) id = json?.data?.id ?? id;
      code = json?.error?.code ?? null;
      message = json?.error?.message ?? null;
    } catch (err) {
      code = "NO_ANSWER";
      message = (err as Error).message;
    }
    records.push({ op, sessionId: id, name, status, code, message, at: Date.now() });
    return { ok: status >= 200 && status < 300, id };
  };

  let running = true;
  let n = 0;
  const worker = async (w: number) => {
    while (running) {
      const c = computers[(w + n) % computers.length];
      const name = `Outage-${w}-${++n}`;
      const made = await call("new", "POST", "/api/v1/sessions", { computerId: c.id, name, configurationName: "Microsoft.PowerShell" }, null, name);
      if (!made.ok || !made.id) {
        await sleep(200);
        continue;
      }
      const id = made.id;
      for (const [op, method, suffix] of [
        ["disconnect", "POST", "/disconnect"],
        ["connect", "POST", "/connect"],
        ["remove", "DELETE", ""],
      ] as const) {
        // Retried until it answers ok, so every session ends removed (a refusal changes nothing).
        for (let i = 0; running || i === 0; i++) {
          if ((await call(op, method, `/api/v1/sessions/${id}${suffix}`, method === "POST" ? {} : undefined, id, name)).ok) break;
          await sleep(300);
          if (i > 200) break;
        }
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

  const outages: { kind: string; backAt: number }[] = [];
  const load = os.loadavg();
  console.log(`load average at the start ${load.map((l) => l.toFixed(2)).join(" / ")}`);
  await sleep(PHASE_MS);
  for (const kind of ["restart -m fast", "restart -m immediate"]) {
    console.log(`pg_ctl ${kind}`);
    postgres.ctl(kind.split(" "));
    outages.push({ kind, backAt: Date.now() });
    await sleep(PHASE_MS);
  }
  console.log(`pg_ctl stop -m fast; ${OUTAGE_MS / 1000} s; start`);
  postgres.ctl(["stop", "-m", "fast"]);
  await sleep(OUTAGE_MS);
  postgres.ctl(["start"]);
  outages.push({ kind: `stopped ${OUTAGE_MS / 1000} s`, backAt: Date.now() });
  await sleep(PHASE_MS);
  running = false;
  await Promise.all(workers);
  // The console writes late outcomes with backoff and sweeps leftover intents every 30 s.
  console.log("waiting 40 s for late outcomes and the intent sweep…");
  await sleep(40_000);

  // ---- checks ----
  const audit = await db.auditEvent.findMany({
    where: { action: { in: ["session.new", "session.disconnect", "session.connect", "session.remove"] } },
    select: { action: true, outcome: true, sessionId: true, sessionName: true },
  });
  const okAudit = new Set(audit.filter((a) => a.outcome === "ok").map((a) => `${a.action}|${a.sessionId}`));
  const okNewByName = new Set(audit.filter((a) => a.action === "session.new" && a.outcome === "ok").map((a) => a.sessionName));
  const tookEffect = (r: TRecord) => (r.status >= 200 && r.status < 300) || (r.code === "DB_UNAVAILABLE" && /could not record it yet/.test(r.message ?? ""));
  const missing = records.filter((r) => tookEffect(r) && !(r.op === "new" ? okNewByName.has(r.name) : okAudit.has(`session.${r.op}|${r.sessionId}`)));
  const sessions = await db.session.findMany({ where: { name: { startsWith: "Outage-" } }, select: { id: true, name: true } });
  const unrecordedSessions = sessions.filter((s) => !okNewByName.has(s.name));
  const byCode = new Map<string, number>();
  for (const r of records) if (!(r.status >= 200 && r.status < 300)) byCode.set(r.code ?? String(r.status), (byCode.get(r.code ?? String(r.status)) ?? 0) + 1);
  const recovery = outages.map((o) => {
    const first = records.find((r) => r.at >= o.backAt && r.status >= 200 && r.status < 300);
    return { kind: o.kind, ms: first ? first.at - o.backAt : null };
  });
  const { verifyAuditChain } = await import("../../lib/audit/verify");
  const verdict = await verifyAuditChain();
  const ok = records.filter((r) => r.status >= 200 && r.status < 300).length;
  const later = records.filter((r) => r.code === "DB_UNAVAILABLE" && /could not record it yet/.test(r.message ?? "")).length;

  const rows: [string, string, string, string][] = [
    ["actions sent", "reported", String(records.length), "–"],
    ["answered ok", "reported", String(ok), "–"],
    ["failed, by code", "reported", [...byCode].map(([c, k]) => `${c} ${k}`).join(", ") || "none", "–"],
    ["answered \"took effect, recorded later\"", "reported", String(later), "–"],
    ["actions that took effect without an audit event of their outcome", "0", String(missing.length), missing.length === 0 ? "yes" : "no"],
    ["sessions in the store without a session.new event", "0", `${unrecordedSessions.length} of ${sessions.length}`, unrecordedSessions.length === 0 ? "yes" : "no"],
    ...recovery.map((r) => [`recovery after ${r.kind}: database back → first ok action`, "reported", r.ms === null ? "no ok action after" : `${(r.ms / 1000).toFixed(1)} s`, "–"] as [string, string, string, string]),
    ["audit chain", "intact", verdict.ok ? `intact (${verdict.count} events)` : `BROKEN at #${verdict.brokenAt}: ${verdict.reason}`, verdict.ok ? "yes" : "no"],
  ];
  console.log("");
  console.log("| measure | goal | figure | met |");
  console.log("|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  if (missing.length) console.log(`\nwithout audit: ${JSON.stringify(missing.slice(0, 10))}`);
  console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(" / ")}`);
  await db.$disconnect();
}

const hardStop = setTimeout(() => {
  console.error("bench:outage: gave up after 10 minutes");
  consoleProc?.kill();
  postgres?.stop();
  process.exit(0);
}, 10 * 60_000);
hardStop.unref();

main()
  .catch((err) => console.error(`bench:outage failed: ${(err as Error).stack ?? err}`))
  .finally(async () => {
    await consoleProc?.stop().catch(() => consoleProc?.kill());
    try {
      postgres?.stop();
    } catch {
      // already gone
    }
    process.exit(0);
  });
