/**
 * The two-instance part of `npm run bench:console` (also runnable alone:
 * `tsx scripts/bench/console-cluster.ts`): two real consoles (production build) on one
 * PostgreSQL and one Redis (Debian's packages, started here on free ports, removed after), the
 * demo fleet started by instance A and dialled by B. A manager's server action on A (new,
 * disconnect, connect, remove on a demo agent) until a help-desk socket.io client signed in on
 * B receives the `session.updated` event: p50/p95/max per action.
 * Env: BENCH_ACTIONS (30 cycles). Prints a table, and with --json one JSON line of its rows last.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findPostgresBin, startTestPostgres, type TestPostgres } from "../../lib/testing/postgres";
import { findRedisServer, startTestRedis, type TestRedis } from "../../lib/testing/redis";
import { callAction, findActions, openLiveSocket } from "./console-actions";
import { fmtMs, pct, table } from "./console-http";
import { ensureBuild, freePort, freePortRange, startConsole, type TConsole } from "./console-server";

const ACTION_CYCLES = Number(process.env.BENCH_ACTIONS ?? 30);
const DEMO_COMPUTERS = ["Server01", "Server12", "Srv1", "Srv2", "Srv30"];
const root = path.resolve(import.meta.dirname, "../..");
const consoles: TConsole[] = [];
let services: { postgres?: TestPostgres; redis?: TestRedis; tmp?: string } = {};

export type TClusterRow = { name: string; n: number; p50: number; p95: number; max: number };

async function main(): Promise<TClusterRow[]> {
  const missing = [...(findPostgresBin() ? [] : ["postgresql"]), ...(findRedisServer() ? [] : ["redis-server"])];
  if (missing.length) throw new Error(`needs Debian's ${missing.join(" and ")}`);
  ensureBuild(root);
  const [postgres, redis] = await Promise.all([startTestPostgres(), startTestRedis()]);
  services = { postgres, redis, tmp: fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-cluster-")) };
  await postgres.createDatabase();
  const shared = {
    DATABASE_URL: postgres.url("baton"),
    REDIS_URL: redis.url,
    BATON_SECRET: randomBytes(32).toString("hex"),
    BATON_AUDIT_KEY_FILE: path.join(services.tmp!, "audit-keys.json"),
    BATON_AUDIT_CHECKPOINT_DIR: path.join(services.tmp!, "audit-checkpoints"),
  };
  Object.assign(process.env, shared);
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: root, env: { ...process.env }, stdio: ["ignore", "ignore", "inherit"] });
  const { db } = await import("../../lib/db/client");
  const { createAuthSession, sessionCookie } = await import("../../lib/auth/session-store");

  const agentBasePort = await freePortRange(DEMO_COMPUTERS.length);
  const common = { ...shared, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", HOST: "127.0.0.1", BATON_DEMO: "1", BATON_DEMO_AGENT_PORT: String(agentBasePort), LOG_LEVEL: "warn" };
  const a = await startConsole({ root, env: { ...common, PORT: String(await freePort()) } });
  consoles.push(a);
  const b = await startConsole({ root, env: { ...common, PORT: String(await freePort()), BATON_DEMO_FLEET: "0" } });
  consoles.push(b);
  const deadline = Date.now() + 60_000;
  while ((await db.computer.count({ where: { name: { in: DEMO_COMPUTERS }, status: "online" } })) < DEMO_COMPUTERS.length) {
    if (Date.now() > deadline) throw new Error("the demo agents did not come online");
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`two consoles: A ${a.baseUrl} (demo fleet on ${agentBasePort}-${agentBasePort + DEMO_COMPUTERS.length - 1}), B ${b.baseUrl}; PostgreSQL and Redis on loopback`);

  const users = Object.fromEntries((await db.user.findMany({ select: { id: true, username: true } })).map((u) => [u.username, u.id]));
  const cookieFor = async (username: string) => `${sessionCookie().name}=${(await createAuthSession(users[username])).token}`;
  const manager = await cookieFor("manager");
  const helpdesk = await cookieFor("helpdesk");
  const names = ["newSessionAction", "disconnectSessionAction", "connectSessionAction", "removeSessionAction"] as const;
  const { found, missing: absent } = findActions(root, "app/(console)/sessions/actions.ts", [...names]);
  if (absent.length) throw new Error(`this build registers no page for ${absent.join(", ")}`);
  const live = await openLiveSocket(b.baseUrl, helpdesk);
  const computers = await db.computer.findMany({ where: { name: { in: DEMO_COMPUTERS } }, select: { id: true }, orderBy: { name: "asc" } });
  const kinds = ["new", "disconnect", "connect", "remove"] as const;
  const latency = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<(typeof kinds)[number], number[]>;

  const step = async (kind: (typeof kinds)[number], action: (typeof names)[number], input: unknown, expect: string, record: boolean) => {
    const sentAt = performance.now();
    const call = await callAction<{ id: string }>({ baseUrl: a.baseUrl, cookie: manager, action: found[action], input });
    if (!call.result.ok) throw new Error(`${kind}: refused: ${call.result.code}: ${call.result.error}`);
    const id = call.result.data.id;
    const seen = await live.waitFor((e) => e.at >= sentAt && e.id === id && e.type === "session.updated" && e.state === expect);
    if (record) latency[kind].push(seen.at - sentAt);
    return id;
  };
  const cycle = async (i: number, record: boolean) => {
    const computerId = computers[i % computers.length].id;
    const id = await step("new", "newSessionAction", { computerId, name: `cluster-${i}`, configurationName: "Microsoft.PowerShell" }, "Opened", record);
    await step("disconnect", "disconnectSessionAction", { sessionId: id }, "Disconnected", record);
    await step("connect", "connectSessionAction", { sessionId: id }, "Opened", record);
    await step("remove", "removeSessionAction", { sessionId: id }, "Closed", record);
  };
  console.log(`measuring action on A -> event on B: ${ACTION_CYCLES} cycles of new/disconnect/connect/remove (after 3 warm-up cycles)...`);
  for (let i = 0; i < 3; i++) await cycle(i, false);
  for (let i = 0; i < ACTION_CYCLES; i++) await cycle(100 + i, true);
  live.socket.close();
  await db.$disconnect();
  const row = (name: string, v: number[]): TClusterRow => ({ name, n: v.length, p50: pct(v, 50), p95: pct(v, 95), max: Math.max(...v) });
  return [...kinds.map((k) => row(`two instances (PostgreSQL + Redis): action on A -> event on B: ${k}`, latency[k])), row("two instances (PostgreSQL + Redis): action on A -> event on B: all four", kinds.flatMap((k) => latency[k]))];
}

async function cleanup(): Promise<void> {
  await Promise.allSettled(consoles.splice(0).map((c) => c.stop()));
  services.redis?.stop();
  services.postgres?.stop();
  if (services.tmp) fs.rmSync(services.tmp, { recursive: true, force: true });
  services = {};
}

process.on("exit", () => consoles.forEach((c) => c.kill()));
main()
  .then(async (rows) => {
    await cleanup();
    console.log("\n" + table([["measurement", "n", "p50 ms", "p95 ms", "max ms"], ...rows.map((r) => [r.name, String(r.n), fmtMs(r.p50), fmtMs(r.p95), fmtMs(r.max)])]));
    if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
    process.exit(0);
  })
  .catch(async (err) => {
    console.error("\nbench:console (two instances) failed:", err instanceof Error ? err.message : err);
    for (const c of consoles) console.error(`\nconsole ${c.baseUrl} output (last lines):\n${c.output().slice(-2000)}`);
    await cleanup();
    process.exit(1);
  });
