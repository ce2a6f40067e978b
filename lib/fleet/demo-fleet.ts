import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { appendAuditEvent } from "@/lib/audit/append";
import { seal } from "@/lib/crypto/secret-box";
import { db } from "@/lib/db/client";
import {
  DEFAULT_DEMO_FLEET_DIR,
  agentFiles,
  ensureFleetDir,
  probeAgent,
  processStartTime,
  readRecord,
  readToken,
  recordAlive,
  stopDemoAgents,
  writePrivate,
  type TAgentRecord,
} from "@/lib/fleet/demo-fleet-state";
import { logger } from "@/lib/logger";
import { ZAgentConfigFile } from "@/lib/protocol";

// Demo mode only: one local agent host per computer of scripts/demo-fleet/fleet.json on
// consecutive loopback ports, run from the built bundle (dist/agent/, npm run build:agent).
// The agents outlive the console: their tokens and processes are recorded in the fleet directory,
// and a console that starts again adopts the agents that still run and check out (name and
// token) instead of starting new ones. The console supervises them: an agent that dies is
// started again on its port with its token, with backoff, and the restart is audited.
const ZFleetFile = z.object({
  computers: z.array(z.object({ name: z.string(), configurations: ZAgentConfigFile.shape.configurations })).min(1),
});

export type TDemoFleet = { stop: () => void; agents: { name: string; port: number; adopted: boolean }[]; dir: string };

const AGENT_BUNDLE = "dist/agent/baton-agent.mjs";
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** An agent that stayed up this long starts its next backoff from the first delay again. */
const STABLE_AFTER_MS = 60_000;
const WATCH_EVERY_MS = 500;
const FLEET_ACTOR = { id: null, name: "demo fleet supervisor", role: "system" };

type TDemoAgent = { name: string; port: number; configurations: unknown; token: string };

/** Builds dist/agent/ when it is missing or older than the agent's sources (one build per change). */
export function ensureAgentBundle(): string {
  execFileSync(process.execPath, ["scripts/build-agent.mjs", "--if-stale"], { stdio: ["ignore", "inherit", "inherit"] });
  return path.resolve(AGENT_BUNDLE);
}

/** The console's own settings must not reach the agents (nor their session shells): only what an agent reads. */
function agentEnv(): NodeJS.ProcessEnv {
  const keep = Object.entries(process.env).filter(([k]) => !/^(BATON_|DATABASE_URL$|REDIS_URL$)/.test(k) || k.startsWith("BATON_AGENT_"));
  return { ...Object.fromEntries(keep), BATON_AGENT_LOG_LEVEL: process.env.BATON_AGENT_LOG_LEVEL ?? "warn", NODE_ENV: "production" };
}

function spawnAgent(bundle: string, dir: string, a: TDemoAgent): TAgentRecord {
  const files = agentFiles(dir, a);
  const log = fs.openSync(files.log, "a", 0o600);
  try {
    // Its own process group and no pipe to the console: a console killed by any signal leaves it running.
    const child = spawn(process.execPath, [bundle, "--name", a.name, "--port", String(a.port), "--config", files.config, "--token-file", files.token], {
      env: agentEnv(),
      stdio: ["ignore", log, log],
      detached: true,
    });
    child.unref();
    const pid = child.pid;
    const startTime = pid ? processStartTime(pid) : null;
    if (!pid || !startTime) throw new Error(`demo agent ${a.name} did not start (see ${files.log})`);
    const record = { name: a.name, port: a.port, pid, startTime };
    writePrivate(files.record, `${JSON.stringify(record)}\n`);
    return record;
  } finally {
    fs.closeSync(log);
  }
}

async function waitHealthy(dir: string, a: TDemoAgent, record: TAgentRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await probeAgent(a);
    if (probe.kind === "ours") return;
    if (probe.kind === "foreign") throw new Error(probe.why);
    if (!recordAlive(record)) throw new Error(`demo agent ${a.name} exited at start (see ${agentFiles(dir, a).log})`);
    if (Date.now() > deadline) throw new Error(`demo agent ${a.name} did not answer on port ${a.port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startDemoFleet({
  basePort,
  dir = DEFAULT_DEMO_FLEET_DIR,
  file = "scripts/demo-fleet/fleet.json",
  reset = false,
}: {
  basePort: number;
  dir?: string;
  file?: string;
  /** Stop the agents a previous start left running (their sessions end) instead of adopting them: for a fresh database. */
  reset?: boolean;
}): Promise<TDemoFleet> {
  const spec = ZFleetFile.parse(JSON.parse(fs.readFileSync(file, "utf8")));
  const bundle = ensureAgentBundle();
  ensureFleetDir(dir);
  if (reset) {
    const stopped = await stopDemoAgents(dir);
    if (stopped.length) logger.info({ agents: stopped.map((r) => r.name) }, "demo fleet reset: stopped the agents a previous start left running");
  }
  const agents: TDemoAgent[] = spec.computers.map((c, i) => {
    const port = basePort + i;
    const files = agentFiles(dir, { name: c.name, port });
    let token = readToken(files);
    if (!token) {
      token = randomBytes(24).toString("base64url");
      writePrivate(files.token, `${token}\n`);
    }
    writePrivate(files.config, JSON.stringify({ configurations: c.configurations }));
    return { name: c.name, port, configurations: c.configurations, token };
  });

  const records = new Map<string, TAgentRecord | null>();
  const adopted = new Set<string>();
  for (const a of agents) {
    const probe = await probeAgent(a);
    if (probe.kind === "foreign") throw new Error(`demo agent ${a.name} cannot start: ${probe.why}`);
    if (probe.kind === "ours") {
      const record = readRecord(agentFiles(dir, a));
      records.set(a.name, record && recordAlive(record) ? record : null);
      adopted.add(a.name);
      await appendAuditEvent({
        actor: FLEET_ACTOR,
        action: "fleet.agent-adopted",
        outcome: "ok",
        computerName: a.name,
        params: { port: a.port, pid: record?.pid ?? null, agentStartedOn: probe.startedOn, sessions: probe.sessions },
      });
      logger.info({ computer: a.name, port: a.port, sessions: probe.sessions }, "demo agent still running: adopted");
      if (!records.get(a.name)) logger.warn({ computer: a.name }, "adopted demo agent has no process record; it is not supervised");
    } else {
      records.set(a.name, spawnAgent(bundle, dir, a));
    }
  }
  for (const a of agents) {
    const record = records.get(a.name);
    if (record && !adopted.has(a.name)) await waitHealthy(dir, a, record, 60_000);
    const address = `http://127.0.0.1:${a.port}`;
    await db.computer.upsert({
      where: { name: a.name },
      create: { name: a.name, address, tokenCiphertext: seal(a.token) },
      update: { address, tokenCiphertext: seal(a.token) },
    });
  }

  const supervisors = agents.map((a) => supervise({ bundle, dir, agent: a, record: records.get(a.name) ?? null }));
  // The agents keep running when the console stops (their sessions with them); `stop` only ends the supervision.
  const stop = () => {
    for (const s of supervisors) s.stop();
  };
  return { stop, dir, agents: agents.map(({ name, port }) => ({ name, port, adopted: adopted.has(name) })) };
}

/**
 * Watches one agent's process and starts it again when it dies: after 1 s, then 2 s, 4 s … up
 * to 30 s while it keeps dying; an agent that stayed up a minute starts over at 1 s. Each
 * restart (or failed attempt) is audited. The console's link to the computer reconnects on its
 * own and reconciles what the new agent run reports.
 */
function supervise(opts: { bundle: string; dir: string; agent: TDemoAgent; record: TAgentRecord | null }): { stop: () => void } {
  const { agent: a } = opts;
  let record = opts.record;
  let stopped = false;
  let failures = 0;
  let upSince = Date.now();
  let timer: NodeJS.Timeout | null = null;

  const schedule = (ms: number, fn: () => void) => {
    if (stopped) return;
    timer = setTimeout(fn, ms);
    timer.unref();
  };

  const watch = () => {
    if (!record || recordAlive(record)) return schedule(WATCH_EVERY_MS, watch);
    const onDisk = readRecord(agentFiles(opts.dir, a));
    if (!onDisk) {
      // npm run demo:stop removed its record before stopping it: on purpose, not a crash.
      logger.info({ computer: a.name }, "demo agent stopped by demo:stop; no longer supervised");
      return;
    }
    if (onDisk.pid !== record.pid && recordAlive(onDisk)) {
      // Started again by someone else (another console of this demo): watch that process.
      record = onDisk;
      return schedule(WATCH_EVERY_MS, watch);
    }
    if (Date.now() - upSince >= STABLE_AFTER_MS) failures = 0;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** failures++);
    const previousPid = record.pid;
    logger.warn({ computer: a.name, pid: previousPid, restartInMs: delayMs }, "demo agent died; restarting it");
    schedule(delayMs, () => void restart(previousPid, delayMs));
  };

  const restart = async (previousPid: number, delayMs: number) => {
    if (stopped) return;
    try {
      const probe = await probeAgent(a);
      if (probe.kind === "foreign") throw new Error(probe.why);
      if (probe.kind === "absent") {
        record = spawnAgent(opts.bundle, opts.dir, a);
        await waitHealthy(opts.dir, a, record, 30_000);
      } else {
        // Someone started it meanwhile (another console of this demo): supervise what is recorded.
        record = readRecord(agentFiles(opts.dir, a));
      }
      upSince = Date.now();
      await appendAuditEvent({
        actor: FLEET_ACTOR,
        action: "fleet.agent-restarted",
        outcome: "ok",
        computerName: a.name,
        params: { port: a.port, previousPid, pid: record?.pid ?? null, afterMs: delayMs, attempt: failures },
      });
      logger.info({ computer: a.name, pid: record?.pid }, "demo agent restarted");
    } catch (err) {
      const message = (err as Error).message;
      logger.error({ computer: a.name, err: message }, "demo agent restart failed");
      await appendAuditEvent({
        actor: FLEET_ACTOR,
        action: "fleet.agent-restarted",
        outcome: "error",
        computerName: a.name,
        error: message,
        params: { port: a.port, previousPid, afterMs: delayMs, attempt: failures },
      }).catch((e) => logger.error({ err: (e as Error).message }, "could not audit a failed demo agent restart"));
    }
    schedule(WATCH_EVERY_MS, watch);
  };

  schedule(WATCH_EVERY_MS, watch);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
