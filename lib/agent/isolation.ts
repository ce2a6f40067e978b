import { spawn } from "node:child_process";
import fs from "node:fs";
import type { TLeftoverReport } from "../protocol";
import { killPids, processStartTime, type AgentRun, type LimitsController } from "./limits";
import type { Logger } from "./logger";

/**
 * Every process of a session carries this variable: `<agent name>/<agent pid>/<agent start
 * time>/<session instanceId>`. Nothing secret is in it. It lets a watchdog (when the agent dies)
 * and the agent's next start find the session processes that left the shell's process tree and
 * ignore SIGHUP, on hosts without a pids cgroup (where there is one, the cgroup finds them too,
 * including processes that cleared their environment). The shell's init file keeps it.
 */
export const SESSION_OWNER_VAR = "BATON_SESSION_AGENT";

const run: AgentRun = { name: "", pid: process.pid, startTime: processStartTime(process.pid) ?? "0" };

/** This agent run, named once at start (the name scopes the sweep of leftovers to runs of the same agent). */
export function agentRun(name?: string): AgentRun {
  if (name !== undefined) run.name = name;
  return { ...run };
}

function ownerPrefix(r: AgentRun): string {
  return `${r.name}/${r.pid}/${r.startTime}/`;
}

/** The value of SESSION_OWNER_VAR for a session of this agent run. */
export function sessionOwner(instanceId: string): string {
  return ownerPrefix(run) + instanceId;
}

type Owner = { name: string; pid: number; startTime: string; sessionInstanceId: string };

function parseOwner(value: string): Owner | null {
  const m = /^([A-Za-z0-9._-]*)\/(\d+)\/(\d+)\/([0-9a-f-]{36})$/.exec(value);
  return m ? { name: m[1], pid: Number(m[2]), startTime: m[3], sessionInstanceId: m[4] } : null;
}

function ownerOf(pid: number): Owner | null {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1");
  } catch {
    return null;
  }
  const key = `${SESSION_OWNER_VAR}=`;
  for (const entry of environ.split("\0")) if (entry.startsWith(key)) return parseOwner(entry.slice(key.length));
  return null;
}

function procPids(): number[] {
  try {
    return fs
      .readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

function commandName(pid: number): string {
  try {
    // comm (the executable's name, at most 15 bytes), never the command line: arguments may hold secrets.
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/**
 * Blanks a variable's value in the process's original environment block. `delete process.env[x]`
 * does not touch that block, and /proc/<pid>/environ shows it to every process of the same user,
 * session shells included. Returns false when the block could not be rewritten (no /proc).
 */
export function scrubEnvironBlock(name: string): boolean {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // env_start and env_end are fields 50 and 51; the split starts at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[47]);
    const end = Number(fields[48]);
    if (!(start > 0 && end > start)) return false;
    const fd = fs.openSync("/proc/self/mem", "r+");
    try {
      const block = Buffer.alloc(end - start);
      fs.readSync(fd, block, 0, block.length, start);
      const key = Buffer.from(`${name}=`);
      for (let at = block.indexOf(key); at !== -1; at = block.indexOf(key, at + key.length)) {
        if (at > 0 && block[at - 1] !== 0) continue;
        const valueStart = at + key.length;
        const valueEnd = block.indexOf(0, valueStart) === -1 ? block.length : block.indexOf(0, valueStart);
        fs.writeSync(fd, Buffer.alloc(valueEnd - valueStart), 0, valueEnd - valueStart, start + valueStart);
      }
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

const MAX_LISTED = 100;

/**
 * Ends the processes left behind by dead runs of this agent (same name): those still in their
 * session cgroups, and those whose environment names a dead run. Runs once at start, before the
 * agent listens. Returns what it ended, or null when nothing was left.
 */
export function endLeftovers(opts: { self: AgentRun; limits: LimitsController; log: Logger }): TLeftoverReport | null {
  const found = new Map<number, TLeftoverReport["processes"][number]>();
  const alive = new Map<string, boolean>();
  const runAlive = (o: Owner) => {
    const key = `${o.pid}/${o.startTime}`;
    if (!alive.has(key)) alive.set(key, processStartTime(o.pid) === o.startTime);
    return alive.get(key)!;
  };
  // Forks racing the kills are caught by the next round; a round that finds nothing new ends it.
  for (let round = 0; round < 10; round++) {
    const fresh: number[] = [];
    const note = (pid: number, foundBy: "cgroup" | "environment", owner: Owner | null, agentPid: number) => {
      if (pid === process.pid || found.has(pid)) return;
      found.set(pid, { pid, command: commandName(pid), sessionInstanceId: owner?.sessionInstanceId ?? null, previousAgentPid: agentPid, foundBy });
      fresh.push(pid);
    };
    for (const { pid, agentPid } of opts.limits.stalePids()) note(pid, "cgroup", ownerOf(pid), agentPid);
    for (const pid of procPids()) {
      const owner = ownerOf(pid);
      if (owner && owner.name === opts.self.name && !runAlive(owner)) note(pid, "environment", owner, owner.pid);
    }
    if (!fresh.length) break;
    killPids(fresh);
  }
  opts.limits.removeStale();
  if (!found.size) return null;
  const processes = [...found.values()];
  const report: TLeftoverReport = {
    endedOn: new Date().toISOString(),
    count: processes.length,
    sessions: [...new Set(processes.map((p) => p.sessionInstanceId).filter((s): s is string => s !== null))],
    processes: processes.slice(0, MAX_LISTED),
  };
  opts.log.warn(
    { count: report.count, sessions: report.sessions, processes: report.processes.slice(0, 20) },
    "ended session processes left behind by a previous run of this agent",
  );
  return report;
}

/**
 * The watchdog: one bash per agent run (not per session), in its own process group, whose stdin
 * is a pipe only the agent holds. When the agent dies, even by SIGKILL, the pipe reaches EOF and
 * the watchdog ends every process of the run's session cgroups and every process whose
 * environment names this run, then logs one line (pino's JSON shape) on the agent's stdout. A
 * shell's own processes get SIGHUP from their closing terminal anyway; this catches the ones
 * that double-forked and ignore it. After a graceful stop it finds nothing and stays silent.
 * Its environment is built here (no BASH_ENV), so it needs no posix mode.
 */
const WATCHDOG = String.raw`
cd /proc/self/fd && for fd in *; do if ((fd > 2)); then exec {fd}>&-; fi; done
cd /
while read -r _; do :; done
prefix="$1"; shift
declare -A seen
ended=0
for round in 1 2 3 4 5 6 7 8 9 10; do
  n=0
  for base in "$@"; do
    for f in "$base"/s*/cgroup.procs; do
      [ -r "$f" ] || continue
      while read -r p; do
        if [ -n "$p" ] && ! [[ -v seen[$p] ]]; then seen[$p]=1; kill -9 "$p" 2>/dev/null && n=$((n+1)); fi
      done < "$f"
    done
  done
  hits=$(grep -lsz -e "^$OWNER_VAR=$prefix" /proc/[0-9]*/environ)
  for f in $hits; do
    IFS=/ read -r _ _ p _ <<< "$f"
    if [ "$p" = "$$" ] || [[ -v seen[$p] ]]; then continue; fi
    seen[$p]=1; kill -9 "$p" 2>/dev/null && n=$((n+1))
  done
  [ "$n" -eq 0 ] && break
  ended=$((ended+n))
done
for base in "$@"; do rmdir "$base"/s* "$base" 2>/dev/null; done
if [ "$ended" -gt 0 ]; then
  printf -v t '%(%s)T' -1
  printf '{"level":40,"time":%s000,"agent":"%s","pid":%s,"ended":%s,"msg":"agent gone: its watchdog ended %s session processes that outlived it"}\n' "$t" "$AGENT_NAME" "$AGENT_PID" "$ended" "$ended"
fi
`;

export function startWatchdog(opts: { self: AgentRun; limits: LimitsController; log: Logger }): void {
  // The prefix goes to grep as a regular expression: only `.` of the name's characters is special.
  const prefixPattern = ownerPrefix(opts.self).replace(/\./g, "\\.");
  const child = spawn("/bin/bash", ["--noprofile", "--norc", "-c", WATCHDOG, "baton-agent-watchdog", prefixPattern, ...opts.limits.baseDirs()], {
    detached: true,
    stdio: ["pipe", "inherit", "ignore"],
    env: { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH ?? "/usr/bin:/bin", OWNER_VAR: SESSION_OWNER_VAR, AGENT_NAME: opts.self.name, AGENT_PID: String(opts.self.pid) },
  });
  child.on("error", (err) => opts.log.error({ err: err.message }, "watchdog did not start; leftovers will be ended at the next start"));
  child.on("exit", (code, signal) => {
    if (code !== null || signal) opts.log.warn({ code, signal }, "watchdog exited; leftovers will be ended at the next start");
  });
  child.unref();
  // The pipe must stay open for the agent's whole life, without keeping a stopping agent alive.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  opts.log.info({ watchdogPid: child.pid }, "watchdog started");
}
