import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentClient, type ActAs } from "@/lib/fleet/agent-client";
import { agentFiles, readRecord, readToken, recordAlive, stopDemoAgents } from "@/lib/fleet/demo-fleet-state";
import { SESSION_LOST_REASON } from "@/lib/fleet/ingest";

// The operator's crash cases, played on the real thing: the console process started as the
// demo starts it (server.ts with BATON_DEMO=1, here on its own ports, database and fleet
// directory), its demo agents run from the built bundle. The console is SIGKILLed and started
// again: it adopts the agents that outlived it and the session is there, Disconnected, with all
// its output. Then an agent is SIGKILLed: its supervisor starts it again and the console closes
// the sessions that died with it, with the reason, each audited once.
const ROOT = path.resolve(import.meta.dirname, "../..");
const CONSOLE_PORT = 3510;
const AGENT_PORT = 5510;
const LINES = 120;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-demo-restart-"));
const dbFile = path.join(tmp, "baton.db");
const fleetDir = path.join(tmp, "demo-fleet");
let sqlite: Database.Database | null = null;
let consoleProc: ChildProcess | null = null;
let consoleOut = "";

function startConsole(): Promise<ChildProcess> {
  // One process (no tsx wrapper process): a SIGKILL reaches the console itself.
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "development",
      NEXT_TELEMETRY_DISABLED: "1",
      BATON_DEMO: "1",
      HOST: "127.0.0.1",
      PORT: String(CONSOLE_PORT),
      BATON_DEMO_AGENT_PORT: String(AGENT_PORT),
      BATON_DEMO_FLEET_DIR: fleetDir,
      DATABASE_URL: `file:${dbFile}`,
      BATON_SECRET: "demo-restart-test-secret-0123456789abcdef",
      BATON_AUDIT_KEY_FILE: path.join(tmp, "audit-keys.json"),
      BATON_AUDIT_CHECKPOINT_DIR: path.join(tmp, "checkpoints"),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  consoleProc = child;
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      consoleOut += d.toString();
      if (consoleOut.includes(`Baton console on http://127.0.0.1:${CONSOLE_PORT}`)) resolve(child);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`console exited (${code ?? signal}) before listening:\n${consoleOut.slice(-3000)}`)));
  });
}

async function killConsole(signal: NodeJS.Signals): Promise<void> {
  const child = consoleProc;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
  consoleProc = null;
}

function store(): Database.Database {
  sqlite ??= new Database(dbFile, { readonly: true, fileMustExist: true });
  return sqlite;
}

/** Awaits a condition on the real processes and the store (polled: they are other processes). */
async function until<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${consoleOut.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type TSessionRow = { id: string; state: string; reason: string | null; runningCommand: string | null };
const sessionRow = (instanceId: string) =>
  store().prepare("SELECT id, state, reason, runningCommand FROM Session WHERE instanceId = ?").get(instanceId) as TSessionRow | undefined;
const audits = (action: string) =>
  store().prepare("SELECT computerName, sessionId, outcome, params FROM AuditEvent WHERE action = ? ORDER BY seq").all(action) as {
    computerName: string | null;
    sessionId: string | null;
    outcome: string;
    params: string;
  }[];
const toMs = (v: number | string | null | undefined) => (typeof v === "number" ? v : v ? Date.parse(v) : 0);
/** The link reconciled its sessions: it ingests the agent's configurations right after, so their rows are fresh. */
const reconciledSince = (name: string, since: number) => {
  const c = store().prepare("SELECT id, status FROM Computer WHERE name = ?").get(name) as { id: string; status: string } | undefined;
  if (c?.status !== "online") return false;
  const rows = store().prepare("SELECT updatedAt FROM SessionConfiguration WHERE computerId = ?").all(c.id) as { updatedAt: number | string }[];
  return rows.length > 0 && rows.every((r) => toMs(r.updatedAt) >= since);
};

const server01 = { name: "Server01", port: AGENT_PORT };
let agent: AgentClient;
let tech: ActAs;
let instanceId: string;

beforeAll(async () => {
  await startConsole();
}, 180_000);

afterAll(async () => {
  agent?.close();
  await killConsole("SIGTERM");
  // The demo agents outlive the console by design; the test ends them.
  await stopDemoAgents(fleetDir);
  sqlite?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe("demo console restart and agent supervision", () => {
  it("keeps the demo agents' tokens and processes in 0600 files of a 0700 directory", () => {
    expect(fs.statSync(fleetDir).mode & 0o777).toBe(0o700);
    for (const f of [agentFiles(fleetDir, server01).token, agentFiles(fleetDir, server01).record]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    const record = readRecord(agentFiles(fleetDir, server01));
    expect(record && recordAlive(record)).toBe(true);
    // Run from the bundle with plain node, not through tsx.
    expect(fs.readFileSync(`/proc/${record!.pid}/cmdline`, "utf8").split("\0")).toContain(path.join(ROOT, "dist/agent/baton-agent.mjs"));
  });

  it("survives a console SIGKILL: the restarted console adopts the agents, the session is Disconnected and Receive returns every line", async () => {
    const techRow = await until("the demo accounts", () => store().prepare("SELECT id FROM User WHERE username = 'tech'").get() as { id: string } | undefined);
    tech = { id: techRow.id, name: "tech", roles: ["technician"] };
    agent = new AgentClient({ baseUrl: `http://127.0.0.1:${AGENT_PORT}`, token: readToken(agentFiles(fleetDir, server01))!, timeoutMs: 10_000 });
    const session = await agent.newSession(tech, { name: "crash-test" });
    instanceId = session.instanceId;
    await agent.run(tech, instanceId, {
      command: `for i in $(seq 1 ${LINES}); do echo "numbered line $i of ${LINES}"; done`,
      inDisconnectedSession: true,
      idleTimeoutSec: 3600,
    });
    await until("the console to record the session Disconnected, its command done", () => {
      const row = sessionRow(instanceId);
      return row?.state === "Disconnected" && row.runningCommand === null && row;
    });
    const agentPids = fs.readdirSync(fleetDir).filter((f) => /-\d+\.json$/.test(f) && !f.endsWith(".config.json")).length;
    expect(agentPids).toBe(5);

    await killConsole("SIGKILL");
    // The start applies migrations, which want the database to themselves for a moment.
    sqlite?.close();
    sqlite = null;
    const restartedAt = Date.now();
    consoleOut = "";
    await startConsole();
    expect(consoleOut).toContain("Server01 (:5510, still running: adopted)");

    // Every agent was found, not started again, and the console says so in the trail.
    const adopted = audits("fleet.agent-adopted");
    expect(adopted.map((a) => a.computerName).sort()).toEqual(["Server01", "Server12", "Srv1", "Srv2", "Srv30"]);
    expect(JSON.parse(adopted.find((a) => a.computerName === "Server01")!.params)).toMatchObject({ port: AGENT_PORT, sessions: 1 });
    await until("the restarted console to reconcile Server01", () => reconciledSince("Server01", restartedAt));
    const row = sessionRow(instanceId)!;
    expect(row.state).toBe("Disconnected");

    const received = await agent.receive(tech, instanceId);
    const text = received.output.toString("utf8");
    const numbered = text.match(/^numbered line \d+ of \d+/gm) ?? [];
    expect(numbered).toEqual(Array.from({ length: LINES }, (_, i) => `numbered line ${i + 1} of ${LINES}`));
    expect(received.droppedBytes).toBe(0);
  }, 240_000);

  it("restarts a SIGKILLed agent on its own; the console closes its lost sessions with the reason, each audited once", async () => {
    const files = agentFiles(fleetDir, server01);
    const before = readRecord(files)!;
    expect(recordAlive(before)).toBe(true);
    process.kill(before.pid, "SIGKILL");

    const restarted = await until("the supervisor's restart of Server01", () =>
      audits("fleet.agent-restarted").find((a) => a.computerName === "Server01" && a.outcome === "ok"),
    );
    expect(JSON.parse(restarted.params)).toMatchObject({ previousPid: before.pid, port: AGENT_PORT, afterMs: 1000 });
    const after = readRecord(files)!;
    expect(after.pid).not.toBe(before.pid);
    expect(recordAlive(after)).toBe(true);
    expect((await agent.health()).name).toBe("Server01");

    const closed = await until("the lost session to be Closed", () => {
      const row = sessionRow(instanceId);
      return row?.state === "Closed" && row;
    });
    expect(closed.reason).toBe(SESSION_LOST_REASON);
    const lost = await until("its audit event", () => audits("agent.session-lost").filter((a) => a.sessionId === closed.id).length > 0 && audits("agent.session-lost"));
    expect(lost.filter((a) => a.sessionId === closed.id)).toHaveLength(1);
    expect(lost[0].computerName).toBe("Server01");
    // The other agents were left alone.
    expect(audits("fleet.agent-restarted").map((a) => a.computerName)).toEqual(["Server01"]);
  }, 120_000);

  it("leaves the agents running when the console stops; npm run demo:stop ends them", async () => {
    const records = ["Server01", "Server12", "Srv1", "Srv2", "Srv30"].map((name, i) => readRecord(agentFiles(fleetDir, { name, port: AGENT_PORT + i }))!);
    await killConsole("SIGTERM");
    expect(records.every(recordAlive)).toBe(true);
    const out = execFileSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/demo-stop.ts"], {
      cwd: ROOT,
      env: { ...process.env, BATON_DEMO_FLEET_DIR: fleetDir },
      encoding: "utf8",
    });
    expect(out).toContain("Stopped Server01 (:5510");
    expect(records.some(recordAlive)).toBe(false);
    expect(execFileSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/demo-stop.ts"], { cwd: ROOT, env: { ...process.env, BATON_DEMO_FLEET_DIR: fleetDir }, encoding: "utf8" })).toContain(
      "No demo agent recorded",
    );
  }, 60_000);
});
