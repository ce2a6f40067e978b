import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentRequestError } from "../../fleet/agent-client";
import { admin, alice, bob, isAlive, runAndCollect, sleep, startAgent, until, type RunningAgent } from "./helpers";

const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };

async function refused(p: Promise<unknown>): Promise<AgentRequestError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentRequestError);
  return err as AgentRequestError;
}

describe("production idle timeout rules (minimum 60 s)", () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent({ name: "Server01" });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("refuses Example 4's 48-hour idle timeout at creation and at disconnect, naming the session, value and both limits", async () => {
    const atCreate = await refused(agent.client.newSession(alice, { name: "ITTask", idleTimeoutSec: 172800 }));
    expect(atCreate).toMatchObject({ status: 400, code: "IDLE_TIMEOUT_OUT_OF_RANGE", details: { sessionName: "ITTask", value: 172800, min: 60, max: 43200 } });
    expect(atCreate.message).toContain("The session ITTask cannot be created because the specified idle timeout value 172800 (seconds)");
    expect(await agent.client.listSessions(alice, { name: "ITTask" })).toHaveLength(0);

    const s = await agent.client.newSession(alice, { name: "ITTask" });
    const atDisconnect = await refused(agent.client.disconnect(alice, s.id, { idleTimeoutSec: 172800 }));
    expect(atDisconnect.code).toBe("IDLE_TIMEOUT_OUT_OF_RANGE");
    expect(atDisconnect.message).toBe(
      "The session ITTask cannot be disconnected because the specified idle timeout value 172800 (seconds) is either greater than " +
        "the server maximum allowed 43200 (seconds) or less than the minimum allowed 60 (seconds). " +
        "Choose an idle time out value that is within the allowed range and try again.",
    );
    const tooShort = await refused(agent.client.disconnect(alice, s.id, { idleTimeoutSec: 59 }));
    expect(tooShort.details).toMatchObject({ value: 59, min: 60, max: 43200 });
    expect((await agent.client.getSession(alice, s.id)).state).toBe("Opened");

    // The sixth command of Example 4: the 12-hour maximum works.
    const ok = await agent.client.disconnect(alice, s.id, { idleTimeoutSec: 43200 });
    expect(ok).toMatchObject({ state: "Disconnected", idleTimeoutSec: 43200 });
    await agent.client.remove(alice, s.id);
  });

  it("Set-PSSessionConfiguration: a lowered MaxIdleTimeoutMs catches a session's own idle timeout at disconnect", async () => {
    const s = await agent.client.newSession(alice, { name: "LongIdle", idleTimeoutSec: 40000 });
    const view = await agent.client.updateConfiguration(admin, "Microsoft.PowerShell", { maxIdleTimeoutMs: 3_600_000, idleTimeoutMs: 1_800_000 });
    expect(view).toMatchObject({ maxIdleTimeoutMs: 3_600_000, idleTimeoutMs: 1_800_000 });
    const err = await refused(agent.client.disconnect(alice, s.id));
    expect(err.message).toContain("The session LongIdle cannot be disconnected because the specified idle timeout value 40000 (seconds)");
    expect(err.details).toMatchObject({ max: 3600 });
    // New sessions take the new default.
    const fresh = await agent.client.newSession(alice, { name: "Fresh" });
    expect(fresh.idleTimeoutSec).toBe(1800);
    await agent.client.updateConfiguration(admin, "Microsoft.PowerShell", { maxIdleTimeoutMs: 43_200_000, idleTimeoutMs: 7_200_000 });
    await agent.client.remove(alice, s.id);
    await agent.client.remove(alice, fresh.id);
  });
});

describe("idle expiry, quotas and limits", () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent({
      name: "Srv2",
      env: { BATON_AGENT_MIN_IDLE_SEC: "1" },
      configurations: [
        { name: "Tiny", maxShells: 2, maxShellsPerUser: 1, maxConcurrentUsers: 5 },
        { name: "OneUser", maxShells: 10, maxShellsPerUser: 10, maxConcurrentUsers: 1 },
        { name: "Admins", allowedRoles: ["admin"], allowedUsers: ["u-carol"] },
        { name: "Confined", maxMemoryPerShellMB: 64, maxProcessesPerShell: 6 },
      ],
    });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("ends the session's processes when the idle timeout runs out, and says why", async () => {
    const stream = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Expires" });
    // Interactive bash also prints a job notice ("[1] pid"), so tag the line we want.
    const bg = await runAndCollect(agent, alice, s.id, "sleep 300 >/dev/null 2>&1 & echo BGPID=$!");
    const bgPid = Number(/BGPID=(\d+)/.exec(bg.output)?.[1]);
    const shellPid = (await agent.client.getSession(alice, s.id)).pid!;
    expect(isAlive(bgPid) && isAlive(shellPid)).toBe(true);
    const closedEvent = stream.waitFor((m) => m.type === "session.updated" && m.change === "closed" && m.session.id === s.id, 10_000);
    const r = await agent.client.run(alice, s.id, { command: "sleep 301", inDisconnectedSession: true, idleTimeoutSec: 1 });
    expect(r.session.expiresOn).not.toBeNull();
    const ev = await closedEvent;
    expect(ev.type === "session.updated" && ev.reason).toMatch(/IdleTimeout/);
    const closed = await agent.client.getSession(alice, s.id);
    expect(closed).toMatchObject({ state: "Closed", availability: "None" });
    expect(closed.reason).toMatch(/IdleTimeout: disconnected for 1 s/);
    await until(() => !isAlive(bgPid) && !isAlive(shellPid), { timeoutMs: 3000, what: "processes gone" });
    expect(await refused(agent.client.connect(alice, s.id))).toMatchObject({ code: "INVALID_STATE" });
    await stream.close();
  });

  it("does not expire a session that was reconnected in time", async () => {
    const s = await agent.client.newSession(alice, { name: "Rescued" });
    await agent.client.disconnect(alice, s.id, { idleTimeoutSec: 2 });
    await sleep(800);
    await agent.client.connect(alice, s.id);
    await sleep(2000);
    expect((await agent.client.getSession(alice, s.id)).state).toBe("Opened");
    await agent.client.remove(alice, s.id);
  });

  it("refuses MaxShellsPerUser, MaxShells and MaxConcurrentUsers with distinct codes and creates nothing", async () => {
    const a1 = await agent.client.newSession(alice, { name: "T1", configurationName: "Tiny" });
    const perUser = await refused(agent.client.newSession(alice, { name: "T2", configurationName: "Tiny" }));
    expect(perUser).toMatchObject({ status: 409, code: "QUOTA_MAX_SHELLS_PER_USER", details: { limit: 1, current: 1 } });
    const b1 = await agent.client.newSession(bob, { name: "T3", configurationName: "Tiny" });
    const shells = await refused(agent.client.newSession(carol, { name: "T4", configurationName: "Tiny" }));
    expect(shells).toMatchObject({ code: "QUOTA_MAX_SHELLS", details: { limit: 2 } });
    expect(shells.message).toContain("MaxShells quota is 2");
    expect((await agent.client.listSessions(alice, { name: "T*" })).map((s) => s.name).sort()).toEqual(["T1", "T3"]);
    // Closed sessions stop counting.
    await agent.client.remove(alice, a1.id);
    const c1 = await agent.client.newSession(carol, { name: "T5", configurationName: "Tiny" });
    await agent.client.remove(carol, c1.id);
    await agent.client.remove(bob, b1.id);

    const o1 = await agent.client.newSession(alice, { name: "O1", configurationName: "OneUser" });
    await agent.client.newSession(alice, { name: "O2", configurationName: "OneUser" }).then((s) => agent.client.remove(alice, s.id));
    const users = await refused(agent.client.newSession(bob, { name: "O3", configurationName: "OneUser" }));
    expect(users).toMatchObject({ code: "QUOTA_MAX_CONCURRENT_USERS", details: { limit: 1 } });
    await agent.client.remove(alice, o1.id);
  });

  it("refuses a configuration the user may not use", async () => {
    const err = await refused(agent.client.newSession(alice, { name: "Nope", configurationName: "Admins" }));
    expect(err).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const byRole = await agent.client.newSession(admin, { name: "Yes", configurationName: "admins" });
    const byUser = await agent.client.newSession(carol, { name: "Yes2", configurationName: "Admins" });
    // Someone without the right cannot take over a disconnected session of that configuration either.
    await agent.client.disconnect(admin, byRole.id);
    expect(await refused(agent.client.connect(alice, byRole.id))).toMatchObject({ code: "FORBIDDEN" });
    await agent.client.remove(admin, byRole.id);
    await agent.client.remove(carol, byUser.id);
    expect(await agent.client.listSessions(alice, { name: "Nope" })).toHaveLength(0);
  });

  it("changes limits at run time: new operations obey, existing sessions keep running", async () => {
    const s1 = await agent.client.newSession(alice, { name: "Keep1", configurationName: "OneUser" });
    const s2 = await agent.client.newSession(alice, { name: "Keep2", configurationName: "OneUser" });
    const notAdmin = await refused(agent.client.updateConfiguration(alice, "OneUser", { maxShells: 1 }));
    expect(notAdmin).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect((await agent.client.getConfiguration("OneUser")).maxShells).toBe(10);
    const bad = await refused(agent.client.updateConfiguration(admin, "OneUser", { idleTimeoutMs: 99_999_999 }));
    expect(bad.code).toBe("VALIDATION_FAILED");

    const stream = await agent.client.openStream();
    const updatedEvent = stream.waitFor((m) => m.type === "configuration.updated");
    const view = await agent.client.updateConfiguration(admin, "OneUser", { maxShells: 1 });
    expect(view).toMatchObject({ maxShells: 1, activeShells: 2 });
    expect(await updatedEvent).toMatchObject({ configuration: { name: "OneUser", maxShells: 1 } });
    expect(await refused(agent.client.newSession(alice, { name: "Keep3", configurationName: "OneUser" }))).toMatchObject({ code: "QUOTA_MAX_SHELLS" });
    expect((await runAndCollect(agent, alice, s1.id, "echo still here")).output).toBe("still here\r\n");
    expect((await agent.client.getSession(alice, s2.id)).state).toBe("Opened");
    await agent.client.updateConfiguration(admin, "OneUser", { maxShells: 10 });
    await agent.client.remove(alice, s1.id);
    await agent.client.remove(alice, s2.id);
    await stream.close();
  });

  it("enforces memory and process limits on the shell where the host allows, and says which", async () => {
    const config = await agent.client.getConfiguration("Confined");
    expect(config.enforcement.maxMemoryPerShellMB.enforced).toBe(true);
    const s = await agent.client.newSession(alice, { name: "Box", configurationName: "Confined" });
    const mem = await runAndCollect(agent, alice, s.id, "/usr/bin/python3 -c 'x = bytearray(256 * 1024 * 1024)' 2>/dev/null; echo rc=$?");
    expect(mem.output).toMatch(/^rc=[1-9]\d*\r\n$/);
    if (config.enforcement.maxProcessesPerShell.enforced) {
      const forks = await runAndCollect(
        agent,
        alice,
        s.id,
        `/usr/bin/python3 -c "
import os, time
n = 0
for i in range(20):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(1); os._exit(0)
    n += 1
print('forked', n)
"`,
      );
      const n = Number(/forked (\d+)/.exec(forks.output)?.[1]);
      // bash + python count against the 6: at most 4 children.
      expect(n).toBeLessThanOrEqual(4);
    } else {
      expect(config.enforcement.maxProcessesPerShell.note).toBeTruthy();
    }
    await agent.client.remove(alice, s.id);
  });

  it("keeps the production minimum when not in test mode", async () => {
    const prod = await startAgent({ name: "Srv3", env: { BATON_AGENT_MIN_IDLE_SEC: "1", NODE_ENV: "production" } });
    try {
      expect((await prod.client.getConfiguration("Microsoft.PowerShell")).minIdleTimeoutSec).toBe(60);
      const s = await prod.client.newSession(alice, { name: "P" });
      expect(await refused(prod.client.disconnect(alice, s.id, { idleTimeoutSec: 1 }))).toMatchObject({ code: "IDLE_TIMEOUT_OUT_OF_RANGE" });
    } finally {
      await prod.stop();
    }
  });
});

