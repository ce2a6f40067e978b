import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, alice, isAlive, runAndCollect, startAgent, until, type RunningAgent } from "./helpers";

/** The shell's pids cgroup, address space limit and pid, as the shell itself reports them. */
async function shellFacts(agent: RunningAgent, ref: number) {
  const { output } = await runAndCollect(agent, alice, ref, "echo \"cg=$(grep -E ':pids:' /proc/$$/cgroup | cut -d: -f3) v=$(ulimit -v) pid=$$\"");
  const m = /cg=(\S*) v=(\d+|unlimited) pid=(\d+)/.exec(output);
  if (!m) throw new Error(`unexpected output: ${output}`);
  return { cgroup: m[1], ulimitKb: m[2], pid: Number(m[3]) };
}

describe("spare shells (a session adopts a shell started ahead, under the same isolation)", () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent({ name: `Spare-${process.pid}` });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("serves the next session with a spare in its own cgroup, marked as that session's, with the configuration's limits", async () => {
    const config = await agent.client.getConfiguration("Microsoft.PowerShell");
    const first = await agent.client.newSession(alice, { name: "SpareFirst" });
    const firstFacts = await shellFacts(agent, first.id);
    // The first session of a configuration started its own shell; its spare was started right after.
    const second = await agent.client.newSession(alice, { name: "SpareSecond", cols: 100, rows: 40 });
    const facts = await shellFacts(agent, second.id);
    expect(facts.pid).toBe(second.pid);
    expect(facts.pid).not.toBe(firstFacts.pid);
    expect(facts.ulimitKb).toBe(String(config.maxMemoryPerShellMB * 1024));
    // Its owner mark names the session that adopted it (what the watchdog and leftover sweep read).
    expect(fs.readFileSync(`/proc/${facts.pid}/environ`, "latin1")).toContain(`BATON_SESSION_AGENT=`);
    expect(fs.readFileSync(`/proc/${facts.pid}/environ`, "latin1")).toContain(second.instanceId);
    expect(fs.readFileSync(`/proc/${facts.pid}/environ`, "latin1")).not.toContain(first.instanceId);
    // The size asked for at creation, though the spare started at 120 x 30.
    expect((await runAndCollect(agent, alice, second.id, "stty size")).output).toContain("40 100");
    if (config.enforcement.maxProcessesPerShell.enforced) {
      // A spare's cgroup (`s0<n>`) is its own, never another session's.
      expect(firstFacts.cgroup).toMatch(new RegExp(`/s${first.id}$`));
      expect(facts.cgroup).toMatch(/\/s0\d+$/);
      const pidsMax = fs.readFileSync(`/sys/fs/cgroup/pids${facts.cgroup}/pids.max`, "utf8").trim();
      expect(pidsMax).toBe(String(config.maxProcessesPerShell));
    }
    await agent.client.remove(alice, first.id);
    await agent.client.remove(alice, second.id);
  }, 60_000);

  it("does not serve a spare started under limits that have changed since", async () => {
    await agent.client.remove(alice, (await agent.client.newSession(alice, { name: "Warm" })).id);
    const before = await agent.client.getConfiguration("Microsoft.PowerShell");
    const maxMemoryPerShellMB = before.maxMemoryPerShellMB + 7;
    await agent.client.updateConfiguration(admin, "Microsoft.PowerShell", { maxMemoryPerShellMB });
    const s = await agent.client.newSession(alice, { name: "AfterChange" });
    expect((await shellFacts(agent, s.id)).ulimitKb).toBe(String(maxMemoryPerShellMB * 1024));
    await agent.client.remove(alice, s.id);
  }, 60_000);

  it("ends the spare with the agent", async () => {
    const s = await agent.client.newSession(alice, { name: "BeforeStop" });
    // The spare started after this session: the newest shell the agent launched that is no session's.
    const spare = await until(
      () => {
        const kids = fs.readFileSync(`/proc/${agent.proc.pid}/task/${agent.proc.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
        return kids.find((pid) => pid !== s.pid && fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("bash"));
      },
      { what: "a spare shell" },
    );
    expect(isAlive(spare)).toBe(true);
    await agent.stop();
    await until(() => !isAlive(spare), { timeoutMs: 5000, what: "spare ended" });
  }, 60_000);
});

/**
 * The agent's live shells that were never a session's (its spares) of the configuration whose
 * MaxMemoryPerShellMB is `memoryMB`: bash children other than the sessions' and the watchdog,
 * told apart by their address space limit.
 */
function spareShellPids(agent: RunningAgent, sessionPids: Set<number>, memoryMB: number): number[] {
  const kids = fs.readFileSync(`/proc/${agent.proc.pid}/task/${agent.proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.filter((pid) => {
    if (sessionPids.has(pid)) return false;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false; // Dead, not yet reaped.
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1");
      const limit = /^Max address space\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, "latin1"))?.[1];
      return cmdline.includes("bash") && !cmdline.includes("baton-agent-watchdog") && Number(limit) === memoryMB * 1024 * 1024;
    } catch {
      return false; // Exited while we looked.
    }
  });
}

describe("spare shells in a burst of creations", () => {
  let agent: RunningAgent;
  const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };
  const BURST_MB = 300;
  const ROOMY_MB = 400;
  beforeAll(async () => {
    agent = await startAgent({
      name: `SpareBurst-${process.pid}`,
      configurations: [
        { name: "Burst", maxShells: 4, maxShellsPerUser: 3, maxConcurrentUsers: 5, maxMemoryPerShellMB: BURST_MB },
        { name: "Roomy", maxShells: 50, maxShellsPerUser: 50, maxMemoryPerShellMB: ROOMY_MB },
      ],
    });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  // Every session's shell, ended ones too (a removed shell may take a moment to exit).
  const livePids = async () => new Set((await agent.client.listSessions(admin, {})).filter((s) => s.pid).map((s) => s.pid!));

  it("keeps two spares while creations come faster than a shell starts, never more", async () => {
    // The first session of the configuration starts its own shell; its spare follows.
    const first = await agent.client.newSession(alice, { name: "R0", configurationName: "Roomy" });
    await until(async () => spareShellPids(agent, await livePids(), ROOMY_MB).length === 1 || null, { what: "the first spare" });
    // Several at once: the spare serves one, the others find none at its prompt.
    const burst = await Promise.all([1, 2, 3].map((i) => agent.client.newSession(alice, { name: `R${i}`, configurationName: "Roomy" })));
    const pids = new Set([first.pid!, ...burst.map((s) => s.pid!)]);
    expect(pids.size).toBe(4);
    await until(async () => spareShellPids(agent, await livePids(), ROOMY_MB).length === 2 || null, { what: "two spares after the burst" });
    // Each session is its own shell at its prompt, and a spare is none of them.
    for (const s of burst) expect((await runAndCollect(agent, alice, s.id, "echo ok-$$")).output).toBe(`ok-${s.pid}\r\n`);
    // Another burst adopts the two spares (none of them is a session already) and starts no more than two again.
    const more = await Promise.all([4, 5, 6].map((i) => agent.client.newSession(alice, { name: `R${i}`, configurationName: "Roomy" })));
    expect(new Set([...pids, ...more.map((s) => s.pid!)]).size).toBe(7);
    await until(async () => spareShellPids(agent, await livePids(), ROOMY_MB).length >= 1 || null, { what: "a spare after the second burst" });
    expect(spareShellPids(agent, await livePids(), ROOMY_MB).length).toBeLessThanOrEqual(2);
    for (const s of [first, ...burst, ...more]) await agent.client.remove(alice, s.id);
  }, 60_000);

  it("a burst never gets past MaxShells or MaxShellsPerUser with spares in play", async () => {
    const warm = await agent.client.newSession(alice, { name: "B0", configurationName: "Burst" });
    await agent.client.remove(alice, warm.id);
    // Eight creations at once from two users against MaxShells 4 and MaxShellsPerUser 3.
    const asks = [alice, alice, alice, alice, alice, carol, carol, carol].map((who, i) =>
      agent.client.newSession(who, { name: `B${i + 1}`, configurationName: "Burst" }).then(
        (s) => ({ who, s, code: null as string | null }),
        (e: { code?: string }) => ({ who, s: null, code: e.code ?? String(e) }),
      ),
    );
    const results = await Promise.all(asks);
    const made = results.filter((r) => r.s);
    expect(made).toHaveLength(4);
    expect(made.filter((r) => r.who === alice).length).toBeLessThanOrEqual(3);
    for (const r of results.filter((r) => !r.s)) expect(r.code).toMatch(/^QUOTA_MAX_SHELLS(_PER_USER)?$/);
    const view = await agent.client.getConfiguration("Burst");
    expect(view.activeShells).toBe(4);
    // Four live shells, each its own; the spares (at most two) are nobody's sessions.
    expect(new Set(made.map((r) => r.s!.pid)).size).toBe(4);
    for (const r of made) expect(isAlive(r.s!.pid!)).toBe(true);
    expect(spareShellPids(agent, await livePids(), BURST_MB).length).toBeLessThanOrEqual(2);
    // At MaxShells a spare does not make room: a ninth is refused and creates nothing.
    const ninth = await agent.client.newSession(carol, { name: "B9", configurationName: "Burst" }).then(
      () => null,
      (e: { code?: string }) => e.code,
    );
    expect(ninth).toBe("QUOTA_MAX_SHELLS");
    expect((await agent.client.getConfiguration("Burst")).activeShells).toBe(4);
    for (const r of made) await agent.client.remove(r.who, r.s!.id);
  }, 60_000);
});
