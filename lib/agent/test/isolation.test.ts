import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionView } from "../../protocol";
import { alice, bob, isAlive, runAndCollect, sleep, startAgent, until, type RunningAgent } from "./helpers";

/** fd number -> what it points to, for one process. */
function fdTable(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(Number(fd), fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed while we looked.
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(name));
    } catch {
      // Exited.
    }
  }
  return out;
}

/** Every process whose environment says it belongs to a session of the named agent. */
function sessionProcessesOf(agentName: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = fs.readFileSync(`/proc/${name}/environ`, "latin1").split("\0");
      if (env.some((e) => e.startsWith(`BATON_SESSION_AGENT=${agentName}/`))) out.push(Number(name));
    } catch {
      // Exited or not ours.
    }
  }
  return out;
}

function watchdogOf(agentPid: number): number | undefined {
  return childrenOf(agentPid).find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("baton-agent-watchdog");
    } catch {
      return false;
    }
  });
}

const unique = () => crypto.randomBytes(4).toString("hex");

/**
 * A process that leaves the shell's process tree (double fork, new session) and ignores SIGHUP,
 * so neither the closing terminal nor the shell's exit ends it. `clearEnv` also drops its
 * environment, as `sudo` or `env -i` would.
 */
function orphanCommand(pidFile: string, clearEnv = false): string {
  const inner = `echo $$ > ${pidFile}; trap "" HUP; exec sleep 600`;
  return `( trap '' HUP; setsid ${clearEnv ? "env -i /bin/sh" : "sh"} -c '${inner}' </dev/null >/dev/null 2>&1 & )`;
}

async function readPid(file: string): Promise<number> {
  return until(
    () => {
      const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "");
      return n > 0 ? n : null;
    },
    { what: `pid in ${file}` },
  );
}

describe("no descriptor crosses from the agent or one session into another", () => {
  const COUNT = 24;
  let agent: RunningAgent;
  let sessions: TSessionView[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-iso-"));

  beforeAll(async () => {
    agent = await startAgent({
      name: `Iso-${unique()}`,
      configurations: [{ name: "Microsoft.PowerShell", maxShells: 40, maxShellsPerUser: 40 }],
    });
    // One after the other: each new shell starts while every earlier session's terminal is open in the agent.
    for (let i = 0; i < COUNT; i++) sessions.push(await agent.client.newSession(i % 2 ? bob : alice, { name: `Iso${i}` }));
  }, 120_000);
  afterAll(async () => {
    await agent?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(`fd census over ${COUNT} sessions: each shell and its children hold their own terminal and nothing else`, async () => {
    // The agent holds one PTY master per session: those are what used to leak.
    const agentMasters = [...fdTable(agent.proc.pid!).values()].filter((t) => t === "/dev/ptmx");
    expect(agentMasters.length).toBeGreaterThanOrEqual(COUNT);

    // A background job and a command substitution's subshell in every session, so there are children to inspect too.
    for (const [i, s] of sessions.entries()) {
      const as = i % 2 ? bob : alice;
      const r = await runAndCollect(agent, as, s.id, "sleep 300 </dev/null & echo BG=$!");
      expect(r.output).toMatch(/BG=\d+/);
    }
    const ttys = new Set<string>();
    for (const s of sessions) {
      const shellFds = fdTable(s.pid!);
      const tty = shellFds.get(0)!;
      expect(tty).toMatch(/^\/dev\/pts\/\d+$/);
      ttys.add(tty);
      // bash keeps a copy of its terminal on 255 for job control; nothing else is open.
      expect([...shellFds.keys()].sort((a, b) => a - b), `shell ${s.pid} of ${s.name}`).toEqual([0, 1, 2, 255]);
      for (const target of shellFds.values()) expect(target).toBe(tty);

      const kids = childrenOf(s.pid!);
      expect(kids.length, `children of ${s.name}`).toBeGreaterThan(0);
      for (const kid of kids) {
        const kidFds = fdTable(kid);
        for (const [fd, target] of kidFds) {
          if (fd === 0) expect(target).toBe("/dev/null");
          else expect(target, `fd ${fd} of child ${kid} in ${s.name}`).toBe(tty);
        }
        expect(Math.max(...kidFds.keys())).toBeLessThanOrEqual(2);
      }
    }
    // Each session has a terminal of its own.
    expect(ttys.size).toBe(COUNT);
  });

  it("a shell cannot type into another session's terminal through any descriptor number or /proc", async () => {
    const victim = sessions[0];
    const attacker = sessions[COUNT - 1];
    const proof = path.join(tmp, "injected");
    const payload = `printf 'touch ${proof}\\r'`;
    const attack = [
      // Every descriptor number a shell could have inherited.
      `for fd in $(seq 3 1023); do { ${payload} >&$fd; } 2>/dev/null; done`,
      // The victim's shell's own descriptors (its terminal slave: writing there is output, not input).
      `for f in /proc/${victim.pid}/fd/*; do { ${payload} > "$f"; } 2>/dev/null; done`,
      "echo ATTACK-DONE",
    ].join("; ");
    const r = await runAndCollect(agent, bob, attacker.id, attack);
    expect(r.output).toContain("ATTACK-DONE");
    // Give a victim that had received the keystrokes time to run them.
    const mark = await runAndCollect(agent, alice, victim.id, "echo still-mine");
    expect(mark.output).toContain("still-mine");
    await sleep(300);
    expect(fs.existsSync(proof)).toBe(false);
    expect((await agent.client.getSession(alice, victim.id)).lastCommand?.command).toBe("echo still-mine");
  });

  it("the session's shells never see the agent's token, not even in /proc/<agent>/environ, and carry only a non-secret owner mark", async () => {
    const fromProc = await runAndCollect(agent, alice, sessions[0].id, `echo ENV=$(base64 -w0 /proc/${agent.proc.pid}/environ)`);
    const agentEnviron = Buffer.from(/ENV=([A-Za-z0-9+/=]+)/.exec(fromProc.output)![1], "base64").toString("latin1");
    // The shell could read the agent's environment block (same user), but the token's value is blanked in it.
    expect(agentEnviron).toContain("BATON_AGENT_TOKEN=\0");
    expect(agentEnviron).not.toContain(agent.token);
    const r = await runAndCollect(agent, alice, sessions[0].id, "env | grep '^BATON_' ; true");
    expect(r.output).not.toContain(agent.token);
    const lines = r.output.split(/\r?\n/).filter((l) => l.startsWith("BATON_"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^BATON_SESSION_AGENT=Iso-[0-9a-f]+/${agent.proc.pid}/\\d+/${sessions[0].instanceId}$`));
  });
});

describe("session processes do not outlive a SIGKILLed agent", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-iso-kill-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the watchdog ends every session process, double-forked and SIGHUP-ignoring ones included, within seconds", async () => {
    const name = `IsoKill-${unique()}`;
    const agent = await startAgent({ name });
    const health = await agent.client.health();
    expect(health.leftovers).toBeNull();
    const cgroups = (await agent.client.getConfiguration("Microsoft.PowerShell")).enforcement.maxProcessesPerShell.enforced;

    const orphanFiles: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await agent.client.newSession(alice, { name: `K${i}` });
      const file = path.join(tmp, `orphan-${i}`);
      orphanFiles.push(file);
      await runAndCollect(agent, alice, s.id, `sleep 600 </dev/null >/dev/null 2>&1 & ${orphanCommand(file)}`);
    }
    // Without a pids cgroup a process that also cleared its environment cannot be found (documented); with one it can.
    if (cgroups) {
      const s = await agent.client.newSession(alice, { name: "K-env" });
      const file = path.join(tmp, "orphan-env");
      orphanFiles.push(file);
      await runAndCollect(agent, alice, s.id, orphanCommand(file, true));
    }
    const orphans = await Promise.all(orphanFiles.map(readPid));
    const all = [...new Set([...sessionProcessesOf(name), ...orphans])];
    expect(all.length).toBeGreaterThanOrEqual(3 * 3);
    for (const pid of all) expect(isAlive(pid)).toBe(true);
    expect(watchdogOf(agent.proc.pid!)).toBeDefined();

    await agent.stop("SIGKILL");
    await until(() => all.every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: "every session process gone" });
    await until(() => /its watchdog ended \d+ session processes/.test(agent.logs()), { timeoutMs: 5000, what: "watchdog log line" });
  }, 60_000);

  it("when the watchdog is gone too, the next start of the same agent ends the leftovers and reports them in health", async () => {
    const name = `IsoRestart-${unique()}`;
    const first = await startAgent({ name });
    const cgroups = (await first.client.getConfiguration("Microsoft.PowerShell")).enforcement.maxProcessesPerShell.enforced;
    const s = await first.client.newSession(alice, { name: "Leftover" });
    const file = path.join(tmp, "leftover");
    await runAndCollect(first, alice, s.id, orphanCommand(file));
    const orphan = await readPid(file);
    // With a pids cgroup, even a process without the owner mark is found.
    let unmarked: number | null = null;
    if (cgroups) {
      const envFile = path.join(tmp, "leftover-env");
      await runAndCollect(first, alice, s.id, orphanCommand(envFile, true));
      unmarked = await readPid(envFile);
      expect(fs.readFileSync(`/proc/${unmarked}/environ`, "latin1")).not.toContain("BATON_SESSION_AGENT");
    }
    const leftovers = unmarked ? [orphan, unmarked] : [orphan];

    const watchdog = watchdogOf(first.proc.pid!);
    expect(watchdog).toBeDefined();
    process.kill(watchdog!, "SIGKILL");
    await first.stop("SIGKILL");
    await sleep(1000);
    // The shell went with its terminal; the orphans did not.
    expect(isAlive(s.pid!)).toBe(false);
    for (const pid of leftovers) expect(isAlive(pid)).toBe(true);

    // Another agent on the same host leaves them alone: they are not its leftovers.
    const other = await startAgent({ name: `${name}-other` });
    try {
      expect((await other.client.health()).leftovers).toBeNull();
      for (const pid of leftovers) expect(isAlive(pid)).toBe(true);
    } finally {
      await other.stop();
    }

    const second = await startAgent({ name });
    try {
      await until(() => leftovers.every((pid) => !isAlive(pid)), { timeoutMs: 2000, what: "leftovers ended" });
      const report = (await second.client.health()).leftovers;
      expect(report).toMatchObject({ count: leftovers.length, sessions: [s.instanceId] });
      const expected = [
        expect.objectContaining({ pid: orphan, command: "sleep", sessionInstanceId: s.instanceId, previousAgentPid: first.proc.pid }),
      ];
      if (unmarked) {
        expected.push(
          expect.objectContaining({ pid: unmarked, command: "sleep", sessionInstanceId: null, previousAgentPid: first.proc.pid, foundBy: "cgroup" }),
        );
      }
      expect(report!.processes).toEqual(expect.arrayContaining(expected));
      expect(report!.processes).toHaveLength(leftovers.length);
      // A console sees it in the hello of every stream it opens to this run.
      const stream = await second.client.openStream();
      expect(stream.hello?.leftovers).toEqual(report);
      stream.close();
      expect(second.logs()).toContain("ended session processes left behind by a previous run of this agent");
    } finally {
      await second.stop();
    }
  }, 60_000);
});
