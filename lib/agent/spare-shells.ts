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

type Held = TSpareShell & { limits: string; exited: boolean; subs: pty.IDisposable[] };

/**
 * One spare shell per configuration that has been used. Moving a process into a cgroup takes
 * the kernel's cgroup threadgroup lock for writing, which after an idle moment waits for an RCU
 * grace period (11-16 ms here, longer than the rest of a session's start). A spare's launcher
 * pays that while nobody waits; the next session of that configuration adopts it and starts in
 * a few milliseconds. Isolation is unchanged: the spare ran the same launcher (descriptors closed,
 * cgroups joined, RLIMIT_AS set) under the same limits, checked again when it is adopted.
 */
export class SpareShells {
  private readonly spares = new Map<string, Held>();
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: { log: Logger; limits: LimitsController; rcPath: string; computerName: string }) {}

  /** The configuration's spare, if one is ready under its current limits; the caller owns it from now on. */
  take(config: TSessionConfiguration): TSpareShell | null {
    const key = config.name.toLowerCase();
    const held = this.spares.get(key);
    if (!held) return null;
    this.spares.delete(key);
    for (const sub of held.subs) sub.dispose();
    if (held.exited || held.limits !== limitsKey(config)) {
      this.discard(held);
      return null;
    }
    const { proc, cgroups, nonce, instanceId, early } = held;
    return { proc, cgroups, nonce, instanceId, early };
  }

  /** Starts a spare for the configuration unless it has one (called once its session is up, off the critical path). */
  refill(config: TSessionConfiguration): void {
    const key = config.name.toLowerCase();
    if (this.closed || this.spares.has(key)) return;
    const nonce = crypto.randomBytes(12).toString("hex");
    const instanceId = crypto.randomUUID();
    // `s0<n>`: a session id never starts with 0, so a spare's cgroups never take a session's name
    // and the agent's sweeps (`s<digits>`) still end what runs in them.
    let started: { proc: pty.IPty; cgroups: SessionCgroups };
    try {
      started = spawnShell({ ...this.opts, cgroupKey: `0${++this.seq}`, config, nonce, instanceId, cols: 120, rows: 30 });
    } catch (err) {
      this.opts.log.warn({ err, configuration: config.name }, "could not start a spare shell");
      return;
    }
    const held: Held = { ...started, nonce, instanceId, early: [], limits: limitsKey(config), exited: false, subs: [] };
    held.subs.push(
      started.proc.onData((d) => held.early.push(d as unknown as Buffer)),
      started.proc.onExit(() => {
        held.exited = true;
        if (this.spares.get(key) === held) this.spares.delete(key);
        for (const sub of held.subs) sub.dispose();
        this.opts.limits.removeForSession(held.cgroups);
      }),
    );
    this.spares.set(key, held);
  }

  /** Ends every spare (agent shutdown) and starts no more. */
  close(): void {
    this.closed = true;
    for (const held of this.spares.values()) this.discard(held);
    this.spares.clear();
  }

  private discard(held: Held): void {
    try {
      held.proc.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    // The shell leaves its cgroups as it dies; removal retries until they are empty.
    this.opts.limits.removeForSession(held.cgroups);
  }
}
