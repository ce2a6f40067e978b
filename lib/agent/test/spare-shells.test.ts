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
