import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { startDelayProxy, type DelayProxy } from "@/lib/testing/delay-proxy";
import { createTestPostgresDatabase, testRedis } from "@/lib/testing/shared-services";
import { callAction, findActions, openLiveSocket, type TActionRef } from "@/scripts/bench/console-actions";
import { freePort, startConsole, type TConsole } from "@/scripts/bench/console-server";

// Two real console instances (production build, `tsx server.ts`) on one PostgreSQL database and
// one Redis key prefix, with real agents: what the "several consoles" proof asks. Needs
// `npx next build` once (the actions are called as a browser calls them, by their build ids).
const ROOT = path.resolve(import.meta.dirname, "../..");
const built = fs.existsSync(path.join(ROOT, ".next/BUILD_ID"));

let tmp: string;
let a: TConsole | null = null;
let b: TConsole | null = null;
let agents: RunningAgent[] = [];
let proxy: DelayProxy;
let db: (typeof import("@/lib/db/client"))["db"];
let actions: Record<string, TActionRef>;
let cookies: Record<"manager" | "helpdesk", string>;
let computers: Record<"Srv1" | "Srv2", string>;
const sockets: Socket[] = [];

/** Told of each agent request that reaches Srv2's proxy. */
let onSrv2Request: (() => void) | null = null;

async function act<T>(on: TConsole, name: string, input: unknown, who: "manager" | "helpdesk" = "manager"): Promise<T> {
  const { result } = await callAction<T>({ baseUrl: on.baseUrl, cookie: cookies[who], action: actions[name], input });
  if (!result.ok) throw new Error(`${name} on ${on.baseUrl} refused: ${result.code}: ${result.error}`);
  return result.data;
}
const newSession = (on: TConsole, computer: "Srv1" | "Srv2", name: string) =>
  act<{ id: string; name: string }>(on, "newSessionAction", { computerId: computers[computer], name, configurationName: "Microsoft.PowerShell" });

beforeAll(async () => {
  if (!built) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-cluster-"));
  const databaseUrl = await createTestPostgresDatabase("baton_cluster");
  const redis = testRedis("cluster");
  const shared = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    BATON_REDIS_PREFIX: redis.keyPrefix,
    BATON_SECRET: randomBytes(32).toString("hex"),
    BATON_AUDIT_KEY_FILE: path.join(tmp, "audit-keys.json"),
    BATON_AUDIT_CHECKPOINT_DIR: path.join(tmp, "audit-checkpoints"),
  };
  Object.assign(process.env, shared, { LOG_LEVEL: "silent" });
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: ROOT, env: { ...process.env }, stdio: "pipe" });
  db = (await import("@/lib/db/client")).db;
  const { seal } = await import("@/lib/crypto/secret-box");

  // Two computers registered before the consoles start (each instance dials every registered
  // one); Srv2 behind a proxy whose delay holds a bulk job's agent requests in flight.
  const configurations = [{ name: "Microsoft.PowerShell", maxShells: 50, maxShellsPerUser: 50 }];
  agents = await Promise.all([startAgent({ name: "Srv1", configurations }), startAgent({ name: "Srv2", configurations })]);
  proxy = await startDelayProxy({ target: agents[1].baseUrl, delayMs: 0, onChange: (delta) => delta === 1 && onSrv2Request?.() });
  const c1 = await db.computer.create({ data: { name: "Srv1", address: agents[0].baseUrl, tokenCiphertext: seal(agents[0].token) } });
  const c2 = await db.computer.create({ data: { name: "Srv2", address: proxy.baseUrl, tokenCiphertext: seal(agents[1].token) } });
  computers = { Srv1: c1.id, Srv2: c2.id };

  // Demo accounts without a demo fleet: the agents above are the fleet both instances share.
  const start = async () =>
    startConsole({
      root: ROOT,
      env: { ...shared, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", HOST: "127.0.0.1", PORT: String(await freePort()), BATON_DEMO: "1", BATON_DEMO_FLEET: "0", LOG_LEVEL: "warn" },
    });
  a = await start();
  b = await start();
  await until(async () => (await db.computer.count({ where: { status: "online" } })) === 2, { what: "both computers online", timeoutMs: 30_000 });

  const { createAuthSession, sessionCookie } = await import("@/lib/auth/session-store");
  const users = Object.fromEntries((await db.user.findMany({ select: { id: true, username: true } })).map((u) => [u.username, u.id]));
  const cookieFor = async (username: string) => `${sessionCookie().name}=${(await createAuthSession(users[username])).token}`;
  cookies = { manager: await cookieFor("manager"), helpdesk: await cookieFor("helpdesk") };
  const names = ["newSessionAction", "disconnectSessionAction", "startBulkAction"];
  const { found, missing } = findActions(ROOT, "app/(console)/sessions/actions.ts", names);
  if (missing.length) throw new Error(`this build registers no page for ${missing.join(", ")}`);
  actions = found;
}, 240_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await proxy?.close();
  await Promise.allSettled(agents.map((x) => x.stop()));
  await db?.$disconnect();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

async function live(on: TConsole, who: "manager" | "helpdesk") {
  const l = await openLiveSocket(on.baseUrl, cookies[who]);
  sockets.push(l.socket);
  return l;
}

describe.skipIf(!built)("two console instances on one PostgreSQL and one Redis", () => {
  it("an action on instance A reaches a browser signed in on instance B, live", async () => {
    const onB = await live(b!, "helpdesk");
    const session = await newSession(a!, "Srv1", "FromA");
    await onB.waitFor((e) => e.type === "session.updated" && e.id === session.id && e.state === "Opened");
    await act(a!, "disconnectSessionAction", { sessionId: session.id });
    await onB.waitFor((e) => e.type === "session.updated" && e.id === session.id && e.state === "Disconnected");
    // Ingested once: one "created" and one "disconnected" history line, not one per instance.
    const history = await db.sessionEvent.findMany({ where: { sessionId: session.id }, select: { change: true } });
    expect(history.filter((h) => h.change === "created")).toHaveLength(1);
    expect(history.filter((h) => h.change === "disconnected")).toHaveLength(1);
  });

  it("a terminal opened on B for a session created on A shows live output and takes input", async () => {
    const session = await newSession(a!, "Srv1", "TermAcross");
    const { io } = await import("socket.io-client");
    const socket = io(b!.baseUrl, { transports: ["websocket"], extraHeaders: { cookie: cookies.manager, origin: b!.baseUrl }, reconnection: false });
    sockets.push(socket);
    let output = "";
    const waiters = new Set<() => void>();
    socket.on("terminal.output", (m: { sessionId: string; data: ArrayBuffer | Uint8Array }) => {
      if (m.sessionId !== session.id) return;
      output += Buffer.from(m.data as Uint8Array).toString("utf8");
      for (const w of waiters) w();
    });
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`terminal on B never showed ${text}; it showed:\n${output.slice(-500)}`)), 15_000);
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    const ack = await socket.emitWithAck("terminal.attach", { sessionId: session.id });
    expect(ack).toMatchObject({ ok: true });
    const marker = `across-${randomBytes(4).toString("hex")}`;
    socket.emit("terminal.input", { sessionId: session.id, data: `echo ${marker.toUpperCase()} $((6*7))\r` });
    await seen(`${marker.toUpperCase()} 42`);
  });

  it("concurrent actions on both instances leave one intact audit chain", async () => {
    const made = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => newSession(a!, "Srv1", `ConcA${i}`)),
      ...Array.from({ length: 4 }, (_, i) => newSession(b!, "Srv1", `ConcB${i}`)),
    ]);
    await Promise.all(made.map((s, i) => act(i % 2 ? a! : b!, "disconnectSessionAction", { sessionId: s.id })));
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    const verdict = await verifyAuditChain();
    expect(verdict).toMatchObject({ ok: true });
    // Every action is on the chain exactly once, whichever instance wrote it.
    const events = await db.auditEvent.findMany({ where: { sessionId: { in: made.map((s) => s.id) }, action: { in: ["session.new", "session.disconnect"] } }, select: { action: true } });
    expect(events).toHaveLength(16);
    // audit:verify as an auditor runs it agrees.
    // Not execFileSync: a blocked event loop would leave closed keep-alive sockets in fetch's pool.
    await promisify(execFile)(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/audit-verify.ts"], { cwd: ROOT, env: { ...process.env } });
  }, 120_000);

  it("A is SIGKILLed mid bulk job: every target of the job ends with an outcome, audited, and B tells its user", async () => {
    const targets = await Promise.all(Array.from({ length: 6 }, (_, i) => newSession(a!, "Srv2", `Bulk${i}`)));
    const managerOnB = await live(b!, "manager");
    type TProgress = { type: string; jobId: string; finished: boolean; outcomes: { sessionId: string; ok: boolean; error: string | null }[] };
    const progress: TProgress[] = [];
    let finished: () => void;
    const jobFinished = new Promise<void>((resolve) => (finished = resolve));
    managerOnB.socket.on("baton", (e: TProgress) => {
      if (e.type !== "bulk.progress") return;
      progress.push(e);
      if (e.finished) finished();
    });
    // Each agent request of the job now takes 700 ms; one at a time.
    proxy.delay.ms = 700;
    proxy.reset();
    const secondRequest = new Promise<void>((resolve) => (onSrv2Request = () => proxy.stats.total >= 2 && resolve()));
    const job = await act<{ jobId: string; total: number }>(a!, "startBulkAction", { operation: "disconnect", sessionIds: targets.map((t) => t.id), throttleLimit: 1 });
    expect(job.total).toBe(6);
    await secondRequest;
    a!.kill();
    a = null;
    onSrv2Request = null;
    // B notices A's heartbeat lapsed and ends the rest; the job's user hears it on B.
    await jobFinished;
    proxy.delay.ms = 0;
    // A's own pushes (through Redis) and B's last one, which carries the interrupted targets.
    const told = progress.filter((e) => e.jobId === job.jobId).flatMap((e) => e.outcomes);
    expect(told.map((o) => o.sessionId).sort()).toEqual(targets.map((t) => t.id).sort());
    expect(progress.find((e) => e.finished)!.outcomes.every((o) => !o.ok && o.error?.startsWith("Interrupted"))).toBe(true);
    const audited = await db.auditEvent.findMany({ where: { action: "session.disconnect", params: { contains: job.jobId } }, select: { sessionId: true, outcome: true, error: true } });
    // Every target exactly once: done before the kill ("ok"), or interrupted.
    expect(audited.map((e) => e.sessionId).sort()).toEqual(targets.map((t) => t.id).sort());
    const interrupted = audited.filter((e) => e.outcome === "error" && e.error?.startsWith("Interrupted: the console instance running this job stopped"));
    expect(interrupted.length).toBeGreaterThanOrEqual(4);
    expect(audited.filter((e) => e.outcome === "ok").length + interrupted.length).toBe(6);
    // The job is on record in the database, not in A's lost memory: B's Jobs view lists it,
    // finished, with its parameters and every target's outcome as audited.
    const res = await fetch(`${b!.baseUrl}/api/jobs`, { headers: { cookie: cookies.manager, origin: b!.baseUrl } });
    expect(res.status).toBe(200);
    type TListed = { jobId: string; finished: boolean; throttleLimit: number; total: number; done: number; outcomes: { sessionId: string; ok: boolean; error: string | null }[] };
    const listed = ((await res.json()) as TListed[]).find((j) => j.jobId === job.jobId);
    expect(listed).toMatchObject({ finished: true, throttleLimit: 1, total: 6, done: 6 });
    const outcomeOf = new Map(listed!.outcomes.map((o) => [o.sessionId, o]));
    for (const e of audited) expect(outcomeOf.get(e.sessionId!)).toMatchObject({ ok: e.outcome === "ok", error: e.error });
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  }, 90_000);
});
