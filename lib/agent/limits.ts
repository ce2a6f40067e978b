import fs from "node:fs";
import path from "node:path";
import type { TLimitEnforcement } from "../protocol";
import type { Logger } from "./logger";

/**
 * Per-shell resource limits on this host. Processes: a pids cgroup per session (cgroup v1 or
 * v2) when the agent may create one; RLIMIT_NPROC is not used because it counts every process
 * of the user, not of one shell. Memory: RLIMIT_AS on every process of the shell (ulimit -v),
 * plus a memory cgroup for the shell's total when available.
 */
type Controller = "pids" | "memory";

/** `pids` is set when the session has its own pids cgroup, which then holds every process of the shell. */
export type SessionCgroups = { dirs: string[]; pids: boolean };

/**
 * Who this agent run is, for naming its cgroups (`baton-agent-<pid>-<start time>-<name>`): the
 * start time tells a dead run from a live process that reuses its pid, the name scopes the sweep
 * of leftovers to runs of the same agent.
 */
export type AgentRun = { name: string; pid: number; startTime: string };

export class LimitsController {
  private bases = new Map<Controller, { dir: string; v2: boolean }>();
  /** Cgroup directories of dead runs of this agent (same name), kept until their processes are ended. */
  private stale: string[] = [];

  constructor(private readonly log: Logger) {}

  /** Creates the agent's own cgroup directories where allowed. Never throws. */
  probe(run: AgentRun): void {
    for (const controller of ["pids", "memory"] as const) {
      const dir = this.tryCreateBase(controller, run);
      if (dir) this.bases.set(controller, dir);
    }
    this.log.info(
      { pidsCgroup: this.bases.get("pids")?.dir ?? null, memoryCgroup: this.bases.get("memory")?.dir ?? null },
      "resource limit enforcement probed",
    );
  }

  enforcement(): { maxMemoryPerShellMB: TLimitEnforcement; maxProcessesPerShell: TLimitEnforcement } {
    const pids = this.bases.get("pids");
    const memory = this.bases.get("memory");
    return {
      maxMemoryPerShellMB: memory
        ? { enforced: true, mechanism: `cgroup ${memory.v2 ? "v2 memory.max" : "v1 memory.limit_in_bytes"} (all processes of the shell) + RLIMIT_AS per process` }
        : {
            enforced: true,
            mechanism: "RLIMIT_AS per process (ulimit -v)",
            note: "Each process of the shell is limited to this much address space; the total across the shell's processes is not capped (no writable memory cgroup on this host).",
          },
      maxProcessesPerShell: pids
        ? { enforced: true, mechanism: `cgroup ${pids.v2 ? "v2" : "v1"} pids.max (processes and threads of the shell)` }
        : {
            enforced: false,
            mechanism: "none",
            note: "No writable pids cgroup on this host; RLIMIT_NPROC counts all processes of the agent's user, so it cannot limit one shell.",
          },
    };
  }

  /** Creates the session's cgroups (`s<key>`, the session id or a spare's key) with the given limits; the shell launcher joins them. */
  createForSession(sessionId: number | string, limits: { maxMemoryPerShellMB: number; maxProcessesPerShell: number }): SessionCgroups {
    const dirs: string[] = [];
    let pids = false;
    for (const [controller, base] of this.bases) {
      const dir = path.join(base.dir, `s${sessionId}`);
      try {
        fs.mkdirSync(dir);
        if (controller === "pids") fs.writeFileSync(path.join(dir, "pids.max"), String(limits.maxProcessesPerShell));
        else
          fs.writeFileSync(
            path.join(dir, base.v2 ? "memory.max" : "memory.limit_in_bytes"),
            String(limits.maxMemoryPerShellMB * 1024 * 1024),
          );
        dirs.push(dir);
        if (controller === "pids") pids = true;
      } catch (err) {
        this.log.warn({ err, controller, sessionId }, "could not create session cgroup");
      }
    }
    return { dirs, pids };
  }

  /** Pids in the session's cgroups (the most reliable way to find every process of a shell). */
  cgroupPids(cg: SessionCgroups): number[] {
    const pids = new Set<number>();
    for (const dir of cg.dirs) {
      try {
        for (const line of fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n")) {
          const pid = Number(line);
          if (pid > 0) pids.add(pid);
        }
      } catch {
        // Directory already gone.
      }
    }
    return [...pids];
  }

  removeForSession(cg: SessionCgroups): void {
    for (const dir of cg.dirs) removeDirWithRetry(dir);
  }

  /** True once no process is left in any session cgroup (they can only be removed then). */
  allSessionCgroupsEmpty(): boolean {
    for (const base of this.bases.values()) {
      for (const child of safeReaddir(base.dir)) {
        if (!/^s\d+$/.test(child)) continue;
        try {
          if (fs.readFileSync(path.join(base.dir, child, "cgroup.procs"), "utf8").trim()) return false;
        } catch {
          // Removed meanwhile.
        }
      }
    }
    return true;
  }

  /** Every process still in a session cgroup of this agent. */
  allSessionPids(): number[] {
    const pids: number[] = [];
    for (const base of this.bases.values()) {
      for (const child of safeReaddir(base.dir)) {
        if (/^s\d+$/.test(child)) pids.push(...this.cgroupPids({ dirs: [path.join(base.dir, child)], pids: false }));
      }
    }
    return pids;
  }

  /** This run's cgroup directories (the watchdog ends what is left in them when the agent dies). */
  baseDirs(): string[] {
    return [...this.bases.values()].map((b) => b.dir);
  }

  /** Processes still in the session cgroups of dead runs of this agent, with the pid of the run that made them. */
  stalePids(): { pid: number; agentPid: number }[] {
    const found = new Map<number, number>();
    for (const dir of this.stale) {
      const agentPid = Number(/^baton-agent-(\d+)/.exec(path.basename(dir))?.[1]);
      for (const child of safeReaddir(dir)) {
        if (/^s\d+$/.test(child)) for (const p of this.cgroupPids({ dirs: [path.join(dir, child)], pids: false })) found.set(p, agentPid);
      }
    }
    return [...found].map(([pid, agentPid]) => ({ pid, agentPid }));
  }

  /** Removes the dead runs' cgroups once their processes are gone (retrying while the kernel reaps them). */
  removeStale(): void {
    for (const dir of this.stale) removeTreeWithRetry(dir);
    this.stale = [];
  }

  shutdown(): void {
    for (const base of this.bases.values()) removeTree(base.dir);
  }

  private sweepStale(parent: string, run: AgentRun): void {
    for (const entry of safeReaddir(parent)) {
      const m = /^baton-agent-(\d+)(?:-(\d+)-(.+))?$/.exec(entry);
      if (!m) continue;
      const pid = Number(m[1]);
      const alive = m[2] ? processStartTime(pid) === m[2] : fs.existsSync(`/proc/${pid}`);
      if (alive) continue;
      const dir = path.join(parent, entry);
      // A dead run of this same agent: its processes are ended (and reported) before the directory goes.
      if (m[3] === run.name) this.stale.push(dir);
      // Another agent's: remove what is empty; its own next start ends what is still inside.
      else removeTree(dir);
    }
  }

  private tryCreateBase(controller: Controller, run: AgentRun): { dir: string; v2: boolean } | null {
    try {
      const own = ownCgroupPath(controller);
      if (!own) return null;
      const parent = path.join(own.mount, own.path);
      this.sweepStale(parent, run);
      const dir = path.join(parent, `baton-agent-${run.pid}-${run.startTime}-${run.name}`);
      fs.mkdirSync(dir, { recursive: false });
      if (own.v2) {
        // v2 needs the controller enabled for the children of our directory.
        fs.writeFileSync(path.join(dir, "cgroup.subtree_control"), `+${controller}`);
      }
      const probeFile = own.v2 ? (controller === "pids" ? "pids.max" : "memory.max") : controller === "pids" ? "pids.max" : "memory.limit_in_bytes";
      const testDir = path.join(dir, "probe");
      fs.mkdirSync(testDir);
      const ok = fs.existsSync(path.join(testDir, probeFile));
      fs.rmdirSync(testDir);
      if (!ok) {
        fs.rmdirSync(dir);
        return null;
      }
      return { dir, v2: own.v2 };
    } catch {
      return null;
    }
  }
}

function ownCgroupPath(controller: Controller): { mount: string; path: string; v2: boolean } | null {
  let lines: string[];
  try {
    lines = fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  } catch {
    return null;
  }
  for (const line of lines) {
    const [, controllers, p] = line.split(":");
    if (controllers && controllers.split(",").includes(controller) && fs.existsSync(`/sys/fs/cgroup/${controller}`)) {
      return { mount: `/sys/fs/cgroup/${controller}`, path: p, v2: false };
    }
  }
  const unified = lines.find((l) => l.startsWith("0::"));
  if (unified && fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    const available = fs.readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8");
    if (available.split(/\s+/).includes(controller)) return { mount: "/sys/fs/cgroup", path: unified.slice(3), v2: true };
  }
  return null;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Removes a cgroup directory and its session children; cgroup files go with their directory. */
function removeTree(dir: string): void {
  for (const child of safeReaddir(dir)) {
    if (/^s\d+$/.test(child)) {
      try {
        fs.rmdirSync(path.join(dir, child));
      } catch {
        // Still has processes; leave it for the next start's sweep.
      }
    }
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    // Same.
  }
}

function removeTreeWithRetry(dir: string, attempt = 0): void {
  removeTree(dir);
  if (fs.existsSync(dir) && attempt < 20) setTimeout(() => removeTreeWithRetry(dir, attempt + 1), 50 * (attempt + 1)).unref();
}

function removeDirWithRetry(dir: string, attempt = 0): void {
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (attempt < 20) setTimeout(() => removeDirWithRetry(dir, attempt + 1), 100 * (attempt + 1)).unref();
  }
}

/** A process's start time (clock ticks after boot, field 22 of /proc/<pid>/stat), or null when it is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

type ProcInfo = { pid: number; ppid: number; sid: number };

function readProcTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may contain spaces.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(name), ppid: Number(rest[1]), sid: Number(rest[3]) });
    } catch {
      // Process exited while we looked.
    }
  }
  return out;
}

/**
 * Every process belonging to the given shells: same session id (the shell is a session leader
 * in its PTY) or a descendant (background jobs that called setsid still have the shell as an
 * ancestor until they are reparented).
 */
export function processTreePids(shellPids: number[]): number[] {
  const table = readProcTable();
  const roots = new Set(shellPids);
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const found = new Set<number>();
  for (const p of table) if (roots.has(p.sid) || roots.has(p.pid)) found.add(p.pid);
  const stack = [...shellPids];
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) {
      if (!found.has(c)) {
        found.add(c);
        stack.push(c);
      }
    }
  }
  found.delete(process.pid);
  return [...found];
}

export function killPids(pids: number[], signal: NodeJS.Signals = "SIGKILL"): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
