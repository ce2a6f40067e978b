import crypto from "node:crypto";
import os from "node:os";
import * as pty from "node-pty";
import type { TSessionConfiguration } from "../protocol";
import { SESSION_OWNER_VAR, sessionOwner } from "./isolation";
import type { LimitsController, SessionCgroups } from "./limits";
import type { Logger } from "./logger";
import { LAUNCHER_ARGS, LAUNCHER_FILE, shellEnv } from "./shell";

/** What a shell is started with; the same for a session's own shell and a spare. */
export type TShellSpawn = {
  limits: LimitsController;
  rcPath: string;
  computerName: string;
  /** The cgroup directories' name under the agent's, `s<key>`. */
  cgroupKey: string;
  config: TSessionConfiguration;
  nonce: string;
  instanceId: string;
  cols: number;
  rows: number;
};

/** Creates the shell's cgroups and starts the launcher (shell.ts), which joins them before bash runs. */
export function spawnShell(o: TShellSpawn): { proc: pty.IPty; cgroups: SessionCgroups } {
  const cgroups = o.limits.createForSession(o.cgroupKey, o.config);
  const proc = pty.spawn(LAUNCHER_FILE, LAUNCHER_ARGS, {
    name: "xterm-256color",
    cols: o.cols,
    rows: o.rows,
    cwd: os.homedir(),
    encoding: null,
    env: shellEnv({
      BATON_NONCE: o.nonce,
      BATON_RC: o.rcPath,
      BATON_COMPUTER: o.computerName,
      BATON_CGROUPS: cgroups.dirs.join(" "),
      BATON_ULIMIT_V: String(o.config.maxMemoryPerShellMB * 1024),
      [SESSION_OWNER_VAR]: sessionOwner(o.instanceId),
    }),
  });
  return { proc, cgroups };
}

/** The limits a shell was started under: a spare serves a session only if they still hold. */
const limitsKey = (c: TSessionConfiguration) => `${c.maxMemoryPerShellMB}/${c.maxProcessesPerShell}`;

/**
 * A shell started ahead of its session, already in its own cgroups with its configuration's
 * limits, its identity (nonce, instance id) chosen, its output kept until a session adopts it.
 */
export type TSpareShell = {
  proc: pty.IPty;
  cgroups: SessionCgroups;
  nonce: string;
  instanceId: string;
  /** Output the shell printed before it was adopted (its init, first marker and prompt). */
  early: Buffer[];
};

type Held = TSpareShell & { limits: string; exited: boolean; ready: boolean; subs: pty.IDisposable[] };

/** Spares kept per configuration while its sessions come faster than a shell starts. */
export const MAX_SPARES_PER_CONFIGURATION = 2;

/**
 * Spare shells per configuration that has been used. Moving a process into a cgroup takes the
 * kernel's cgroup threadgroup lock for writing, which after an idle moment waits for an RCU
 * grace period (11-16 ms here, longer than the rest of a session's start). A spare's launcher
 * pays that while nobody waits; the next session of that configuration adopts it and starts in
 * a few milliseconds. Isolation is unchanged: the spare ran the same launcher (descriptors closed,
 * cgroups joined, RLIMIT_AS set) under the same limits, checked again when it is adopted.
 *
 * One spare per configuration while sessions come spaced out. When a session finds no spare at
 * its prompt (creations back to back: the one started after the previous session is still
 * starting), the configuration keeps two, so the next session adopts a shell started two
 * creations ago, at its prompt by then; it goes back to one once a session finds a spare to
 * spare. A session takes a spare at its prompt first, else the oldest still starting: waiting for
 * a shell already part way through its start beats starting one (measured, docs/benchmarks.md).
 * Spares are nobody's sessions: quotas count sessions only, and a spare is ended, never adopted,
 * when its configuration's limits have changed since it started.
 */
export class SpareShells {
  /** Per configuration, oldest first. */
  private readonly spares = new Map<string, Held[]>();
  /** Configurations whose sessions came faster than a spare starts: they keep two. */
  private readonly bursting = new Set<string>();
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: { log: Logger; limits: LimitsController; rcPath: string; computerName: string }) {}

  /** A spare of the configuration under its current limits (at its prompt if one is); the caller owns it from now on. */
  take(config: TSessionConfiguration): TSpareShell | null {
    const key = config.name.toLowerCase();
    const list = this.spares.get(key);
    // No session of this configuration yet: its first starts its own shell.
    if (!list) return null;
    for (const stale of list.filter((h) => h.exited || h.limits !== limitsKey(config))) {
      list.splice(list.indexOf(stale), 1);
      this.discard(stale);
    }
    const held = list.find((h) => h.ready) ?? list[0];
    // None at its prompt (or none left): sessions come faster than a shell starts.
    if (!held?.ready) this.bursting.add(key);
    else if (list.some((h) => h !== held && h.ready)) this.bursting.delete(key);
    if (!held) return null;
    list.splice(list.indexOf(held), 1);
    for (const sub of held.subs) sub.dispose();
    const { proc, cgroups, nonce, instanceId, early } = held;
    return { proc, cgroups, nonce, instanceId, early };
  }

  /** How many spares the configuration keeps now: one, two in a burst when it has room for two more sessions. */
  private target(config: TSessionConfiguration, room: number): number {
    return this.bursting.has(config.name.toLowerCase()) ? Math.max(1, Math.min(MAX_SPARES_PER_CONFIGURATION, room)) : 1;
  }

  /**
   * Starts one spare for the configuration if it holds fewer than `target` (called once its
   * session is up, off the critical path). True when it wants another (start it on a later turn
   * of the event loop: starting a shell forks the agent, which holds the loop).
   */
  refill(config: TSessionConfiguration, room: number): boolean {
    const key = config.name.toLowerCase();
    const list = this.spares.get(key) ?? [];
    this.spares.set(key, list);
    const target = this.target(config, room);
    if (this.closed || list.length >= target) return false;
    const nonce = crypto.randomBytes(12).toString("hex");
    const instanceId = crypto.randomUUID();
    // `s0<n>`: a session id never starts with 0, so a spare's cgroups never take a session's name
    // and the agent's sweeps (`s<digits>`) still end what runs in them.
    let started: { proc: pty.IPty; cgroups: SessionCgroups };
    try {
      started = spawnShell({ ...this.opts, cgroupKey: `0${++this.seq}`, config, nonce, instanceId, cols: 120, rows: 30 });
    } catch (err) {
      this.opts.log.warn({ err, configuration: config.name }, "could not start a spare shell");
      return false;
    }
    const held: Held = { ...started, nonce, instanceId, early: [], limits: limitsKey(config), exited: false, ready: false, subs: [] };
    // At its prompt once its first end marker (PROMPT_COMMAND's) is out; it may straddle reads.
    const firstMarker = Buffer.from(`\x1b]777;${nonce};E;`);
    held.subs.push(
      started.proc.onData((d) => {
        held.early.push(d as unknown as Buffer);
        if (!held.ready && Buffer.concat(held.early).includes(firstMarker)) held.ready = true;
      }),
      started.proc.onExit(() => {
        held.exited = true;
        const at = list.indexOf(held);
        if (at !== -1) list.splice(at, 1);
        for (const sub of held.subs) sub.dispose();
        this.opts.limits.removeForSession(held.cgroups);
      }),
    );
    list.push(held);
    return list.length < target;
  }

  /** Ends every spare (agent shutdown) and starts no more. */
  close(): void {
    this.closed = true;
    for (const list of this.spares.values()) for (const held of list) this.discard(held);
    this.spares.clear();
  }

  private discard(held: Held): void {
    for (const sub of held.subs) sub.dispose();
    try {
      held.proc.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    // The shell leaves its cgroups as it dies; removal retries until they are empty.
    this.opts.limits.removeForSession(held.cgroups);
  }
}
