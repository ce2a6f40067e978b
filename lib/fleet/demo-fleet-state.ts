import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { AgentClient, AgentRequestError } from "@/lib/fleet/agent-client";

// What the demo fleet keeps where a console restart finds it (BATON_DEMO_FLEET_DIR, default
// data/demo-fleet/, mode 0700): per agent, its token (0600, read by the agent with
// --token-file), its configuration file, its process (pid and start time, 0600) and its log.
// No database access here: `npm run demo:stop` uses it without a console.

export const DEFAULT_DEMO_FLEET_DIR = "data/demo-fleet";

const ZAgentRecord = z.object({
  name: z.string(),
  port: z.number().int(),
  pid: z.number().int().positive(),
  /** /proc start time of pid: a recycled pid is not taken for the agent. */
  startTime: z.string(),
});
export type TAgentRecord = z.infer<typeof ZAgentRecord>;

export type TAgentFiles = { token: string; record: string; config: string; log: string };

export function ensureFleetDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** One agent's files; the port is part of the name so fleets on other base ports (e2e, tests) keep their own. */
export function agentFiles(dir: string, a: { name: string; port: number }): TAgentFiles {
  const base = path.join(dir, `${a.name}-${a.port}`);
  return { token: `${base}.token`, record: `${base}.json`, config: `${base}.config.json`, log: `${base}.log` };
}

export function writePrivate(file: string, content: string): void {
  // Written beside and renamed: a crash never leaves half a token; the mode holds from the first byte.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readToken(files: TAgentFiles): string | null {
  try {
    const token = fs.readFileSync(files.token, "utf8").trim();
    return token.length >= 16 ? token : null;
  } catch {
    return null;
  }
}

export function readRecord(files: TAgentFiles): TAgentRecord | null {
  try {
    const parsed = ZAgentRecord.safeParse(JSON.parse(fs.readFileSync(files.record, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the recorded process runs (same pid, same start time). */
export function recordAlive(r: Pick<TAgentRecord, "pid" | "startTime">): boolean {
  return processStartTime(r.pid) === r.startTime;
}

export type TProbe =
  | { kind: "absent" }
  | { kind: "ours"; startedOn: string; sessions: number }
  | { kind: "foreign"; why: string };

/**
 * Who answers on an agent's port: nobody, the demo agent itself (its health name matches and it
 * accepts the kept token on an authenticated request), or something else that must not be
 * touched (another agent, or this one under a token we do not hold).
 */
export async function probeAgent(a: { name: string; port: number; token: string | null }): Promise<TProbe> {
  const address = `http://127.0.0.1:${a.port}`;
  const client = new AgentClient({ baseUrl: address, token: a.token ?? "no-token-kept-for-this-agent", timeoutMs: 2000 });
  try {
    let health;
    try {
      health = await client.health();
    } catch (err) {
      if (err instanceof AgentRequestError && err.code === "NETWORK") return { kind: "absent" };
      return { kind: "foreign", why: `${address} does not answer as a Baton agent (${(err as Error).message})` };
    }
    if (health.name !== a.name) return { kind: "foreign", why: `${address} answers as ${health.name}, not ${a.name}: is another demo running?` };
    if (!a.token) return { kind: "foreign", why: `${address} runs agent ${a.name}, but no token is kept for it` };
    try {
      await client.listConfigurations();
    } catch (err) {
      if (err instanceof AgentRequestError && err.code === "UNAUTHORIZED") {
        return { kind: "foreign", why: `${address} runs agent ${a.name}, but it refuses the token kept for it` };
      }
      throw err;
    }
    const sessions = Object.values(health.sessions).reduce((n, c) => n + c, 0);
    return { kind: "ours", startedOn: health.startedOn, sessions };
  } finally {
    client.close();
  }
}

/** The agents a demo fleet directory records as running now. */
export function liveRecords(dir: string): TAgentRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^[A-Za-z0-9._-]+-\d+\.json$/.test(n) && !n.endsWith(".config.json"));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = /^(.+)-(\d+)\.json$/.exec(n)!;
    const r = readRecord(agentFiles(dir, { name: m[1], port: Number(m[2]) }));
    return r && recordAlive(r) ? [r] : [];
  });
}

/**
 * Stops the recorded demo agents that still run (SIGTERM: each ends its sessions and exits) and
 * waits until they are gone. Returns the agents stopped.
 */
export async function stopDemoAgents(dir: string, opts: { timeoutMs?: number } = {}): Promise<TAgentRecord[]> {
  const live = liveRecords(dir);
  // Records go first: a console still running sees an agent without one as stopped on purpose, not to be restarted.
  for (const r of live) fs.rmSync(agentFiles(dir, r).record, { force: true });
  for (const r of live) process.kill(r.pid, "SIGTERM");
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (live.some(recordAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const r of live.filter(recordAlive)) process.kill(r.pid, "SIGKILL");
  return live;
}
