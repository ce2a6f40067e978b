import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";

// The console's side of the fleet against a real agent process: the stream link, store
// ingestion, the session operations with viewer-relative state, bulk throttling, Broken.
prepareTestDatabase();
process.env.BATON_SECRET = "fleet-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const ops = await import("@/lib/sessions/operations");
const { listSessions } = await import("@/lib/data/sessions/list-sessions");
const { ZSessionFilters } = await import("@/lib/dto/sessions");
const bulk = await import("@/lib/sessions/bulk");
const { handOffSession, takeOverSession } = await import("@/lib/sessions/handoff");
import type { TSessionUser } from "@/lib/auth/session-store";

const user = (role: TSessionUser["role"], username: string): TSessionUser => ({ id: `u-${username}`, username, displayName: username, role, team: null });
const tech = user("technician", "tech1");
const tech2 = user("technician", "tech2");
const manager = user("manager", "boss");
const helpdesk = user("helpdesk", "desk");
const filters = (f: Record<string, unknown> = {}) => ZSessionFilters.parse(f);

let agent: RunningAgent;
let fleet: InstanceType<typeof Fleet>;
let computerId: string;

beforeAll(async () => {
  for (const u of [tech, tech2, manager, helpdesk]) {
    await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  }
  agent = await startAgent({ name: "Srv1", configurations: [{ name: "Microsoft.PowerShell" }] });
  const c = await db.computer.create({ data: { name: "Srv1", address: agent.baseUrl, tokenCiphertext: seal(agent.token) } });
  computerId = c.id;
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  // The Broken test kills the agent; a process ended by a signal has no exit code.
  if (agent && agent.proc.exitCode === null && agent.proc.signalCode === null) await agent.stop();
});

async function newSession(actor: TSessionUser, name: string, extra: { idleTimeoutSec?: number } = {}) {
  return ops.newSession({ actor, input: { computerId, name, configurationName: "Microsoft.PowerShell", ...extra } });
}

describe("console fleet link", () => {
  it("creates a session through the agent and stores it, attached to its creator", async () => {
    const row = await newSession(tech, "UpdateSession");
    expect(row).toMatchObject({ name: "UpdateSession", computerName: "Srv1", state: "Opened", availability: "Available", ownerName: "tech1", holderName: "tech1" });
    expect(row.can).toMatchObject({ disconnect: true, remove: true, connect: false });
    expect(await db.session.count({ where: { instanceId: row.instanceId } })).toBe(1);
    // Quota headroom follows the sessions, not only the agent's occasional configuration reports.
    const { liveUsage, usageKey } = await import("@/lib/data/computers/usage");
    expect((await liveUsage([computerId])).get(usageKey(computerId, "Microsoft.PowerShell"))).toEqual({ shells: 1, users: 1 });
  });

  it("Example 1: disconnect by name gives Disconnected / None; others see the same", async () => {
    const { rows } = await listSessions({ actor: tech, filters: filters({ name: "update*" }) });
    expect(rows).toHaveLength(1);
    const record = await ops.loadActionable(tech, rows[0].id);
    const after = await ops.disconnectSession({ actor: tech, record });
    expect(after).toMatchObject({ state: "Disconnected", availability: "None" });
    expect(after.expiresOn).not.toBeNull();
    const asManager = await listSessions({ actor: manager, filters: filters({ name: "UpdateSession" }) });
    expect(asManager.rows[0]).toMatchObject({ state: "Disconnected", availability: "None" });
    // Disconnecting again is a no-op, not an error.
    const again = await ops.disconnectSession({ actor: tech, record: await ops.loadActionable(tech, rows[0].id) });
    expect(again.state).toBe("Disconnected");
  });

  it("reads an opened session attached to someone else as Disconnected / Busy", async () => {
    const row = await newSession(tech, "Mine");
    const seen = await listSessions({ actor: manager, filters: filters({ name: "Mine" }) });
    expect(seen.rows[0]).toMatchObject({ state: "Disconnected", agentState: "Opened", availability: "Busy" });
    expect((await listSessions({ actor: manager, filters: filters({ availability: "Busy" }) })).rows.map((r) => r.id)).toContain(row.id);
    expect((await listSessions({ actor: tech, filters: filters({ availability: "Available" }) })).rows.map((r) => r.id)).toContain(row.id);
  });

  it("keeps technicians to their own sessions and help desk read-only", async () => {
    const theirs = await listSessions({ actor: tech2, filters: filters() });
    expect(theirs.rows).toEqual([]);
    const any = (await listSessions({ actor: tech, filters: filters() })).rows[0];
    await expect(ops.loadActionable(tech2, any.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(ops.loadActionable(helpdesk, any.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await listSessions({ actor: helpdesk, filters: filters() })).rows.every((r) => !Object.values(r.can).some(Boolean))).toBe(true);
  });

  it("Example 4: an idle timeout above the maximum is refused naming the session, the value and both limits", async () => {
    const row = await newSession(tech, "ITTask");
    const record = await ops.loadActionable(tech, row.id);
    const err = await ops.disconnectSession({ actor: tech, record, idleTimeoutSec: 172800 }).catch((e) => e);
    expect(err).toMatchObject({ code: "INVALID_INPUT" });
    expect(err.message).toMatch(/ITTask/);
    expect(err.message).toMatch(/172800/);
    expect(err.message).toMatch(/43200/);
    expect(err.message).toMatch(/60/);
    expect((await ops.loadActionable(tech, row.id)).state).toBe("Opened");
    // Refused before the agent is asked when creating, with the same wording.
    await expect(newSession(tech, "TooLong", { idleTimeoutSec: 172800 })).rejects.toThrow(/TooLong cannot be created .*172800.*43200/);
  });

  it("runs a command, keeps it running while disconnected, and receives its output", async () => {
    const row = await newSession(tech, "Runner");
    let record = await ops.loadActionable(tech, row.id);
    await ops.runCommand({ actor: tech, record, command: "for i in 1 2 3 4 5 6 7 8; do echo tick$i; sleep 0.3; done" });
    record = await ops.loadActionable(tech, row.id);
    await ops.disconnectSession({ actor: tech, record });
    // The buffer's fill reaches the store while nobody is attached (the list's fill bar).
    await until(async () => ((await db.session.findUniqueOrThrow({ where: { id: row.id } })).bufferedBytes > 0 ? true : null), { what: "buffer fill reported", timeoutMs: 10_000 });
    expect((await db.sessionCommand.findFirstOrThrow({ where: { sessionId: row.id } })).exitCode).toBeNull(); // reported before the command ended
    await until(async () => (await db.sessionCommand.findFirst({ where: { sessionId: row.id, exitCode: { not: null } } })) ?? null, { what: "command finished", timeoutMs: 15_000 });
    const got = await ops.receiveSession({ actor: tech, record: await ops.loadActionable(tech, row.id) });
    // What was printed while attached went to the console; Receive returns what came after.
    expect(got.output).toContain("tick7");
    expect(got.output).toContain("tick8");
    expect(got.droppedBytes).toBe(0);
    expect(got.session).toMatchObject({ state: "Opened", availability: "Available" });
    const cmd = await db.sessionCommand.findFirstOrThrow({ where: { sessionId: row.id } });
    expect(cmd.exitCode).toBe(0);
    // The transcript has all of it: live output while attached, and what Receive returned.
    for (let i = 1; i <= 8; i++) expect(cmd.output).toContain(`tick${i}`);
    expect(cmd.output).not.toMatch(/\x1b/);
    const history = await db.sessionEvent.findMany({ where: { sessionId: row.id }, orderBy: { id: "asc" } });
    expect(history.map((h) => h.change)).toEqual(expect.arrayContaining(["disconnected", "command.finished"]));
  });

  it("bulk disconnect keeps at most ThrottleLimit agent requests in flight and reports every target", async () => {
    const rows = [];
    for (let i = 0; i < 7; i++) rows.push(await newSession(manager, `Bulk${i}`));
    const link = fleet.link(computerId);
    const original = link.client.disconnect.bind(link.client);
    let inFlight = 0;
    let peak = 0;
    link.client.disconnect = async (...args) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 100));
        return await original(...args);
      } finally {
        inFlight--;
      }
    };
    try {
      const records = await bulk.resolveTargets(manager, { filters: filters({ name: "Bulk*" }) });
      expect(records).toHaveLength(7);
      const preview = bulk.previewOf("disconnect", records, manager);
      expect(preview.every((p) => p.resultingState === "Disconnected")).toBe(true);
      const { total } = await bulk.startBulkJob(manager, "disconnect", records, { throttleLimit: 3 });
      expect(total).toBe(7);
      await until(async () => (await db.session.count({ where: { nameKey: { startsWith: "bulk" }, state: "Disconnected" } })) === 7 || null, { what: "bulk done" });
      expect(peak).toBe(3);
    } finally {
      link.client.disconnect = original;
    }
  });

  it("hands a session over: the receiver may connect, the giver is disconnected first, and it can come back", async () => {
    const row = await newSession(tech, "Handed");
    let record = await ops.loadActionable(tech, row.id);
    await ops.runCommand({ actor: tech, record, command: "sleep 30" });
    expect((await listSessions({ actor: tech2, filters: filters({ handed: "me" }) })).rows).toEqual([]);
    await expect(ops.loadActionable(tech2, row.id)).rejects.toMatchObject({ code: "NOT_FOUND" });

    await expect(handOffSession({ actor: tech, record: await ops.loadActionable(tech, row.id), toUsername: "desk", reason: "help" })).rejects.toThrow(/cannot work in sessions/);
    const handed = await handOffSession({ actor: tech, record: await ops.loadActionable(tech, row.id), toUsername: "tech2", reason: "INC-42 please look" });
    expect(handed).toMatchObject({ agentState: "Disconnected", handedTo: { name: "tech2", by: "tech1", reason: "INC-42 please look" } });
    expect(handed.runningCommand).toBe("sleep 30");

    const mine = await listSessions({ actor: tech2, filters: filters({ handed: "me" }) });
    expect(mine.rows.map((r) => r.id)).toEqual([row.id]);
    expect(mine.rows[0].can.connect).toBe(true);
    record = await ops.loadActionable(tech2, row.id);
    const connected = await ops.connectSession({ actor: tech2, record });
    expect(connected).toMatchObject({ state: "Opened", holderName: "tech2", ownerName: "tech1" });
    // While tech2 holds it, tech1 sees it as attached elsewhere and cannot hand it again.
    const seenByOwner = (await listSessions({ actor: tech, filters: filters({ name: "Handed" }) })).rows[0];
    expect(seenByOwner).toMatchObject({ state: "Disconnected", availability: "Busy" });
    await expect(handOffSession({ actor: tech, record: await ops.loadActionable(tech, row.id), toUsername: "boss", reason: "escalate" })).rejects.toThrow(/attached to tech2/);

    const back = await handOffSession({ actor: tech2, record: await ops.loadActionable(tech2, row.id), toUsername: "tech1", reason: "fixed, over to you" });
    expect(back).toMatchObject({ agentState: "Disconnected", handedTo: { name: "tech1", by: "tech2" } });
    await expect(ops.loadActionable(tech2, row.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const handoffs = await db.handoff.findMany({ where: { sessionId: row.id }, orderBy: { createdAt: "asc" } });
    expect(handoffs).toHaveLength(2);
    expect(handoffs[0].endedAt).not.toBeNull();
    expect(handoffs[1].endedAt).toBeNull();
  });

  it("lets a manager take over a session attached to a technician, with a reason, and records it", async () => {
    const row = await newSession(tech, "TakeMe");
    expect((await listSessions({ actor: manager, filters: filters({ name: "TakeMe" }) })).rows[0].can.takeOver).toBe(true);
    await expect(takeOverSession({ actor: tech2, record: await ops.loadActionable(manager, row.id), reason: "nope" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const taken = await takeOverSession({ actor: manager, record: await ops.loadActionable(manager, row.id), reason: "INC-7 urgent" });
    expect(taken).toMatchObject({ state: "Opened", holderName: "boss", ownerName: "tech1" });
    expect((await listSessions({ actor: tech, filters: filters({ name: "TakeMe" }) })).rows[0]).toMatchObject({ state: "Disconnected", availability: "Busy" });
    const history = await db.sessionEvent.findMany({ where: { sessionId: row.id, change: "taken-over" } });
    expect(history[0].reason).toContain("boss took it over from tech1: INC-7 urgent");
  });

  it("audits what the agent does on its own: a robust disconnect when the console's stream drops", async () => {
    const row = await newSession(tech, "Robust");
    const link = fleet.link(computerId);
    (link as unknown as { stream: { terminate: () => void } }).stream.terminate();
    await until(async () => (await db.auditEvent.findFirst({ where: { action: "agent.robust-disconnect", sessionId: row.id } })) ?? null, { what: "robust disconnect audited" });
    const after = await db.session.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.state).toBe("Disconnected");
    await until(() => (link.status === "online" ? true : null), { what: "link back" });
  });

  it("marks the computer's sessions Broken when its agent stops answering", async () => {
    await agent.stop("SIGKILL");
    await until(async () => (await db.session.count({ where: { computerId, state: { notIn: ["Broken", "Closed"] } } })) === 0 || null, { what: "broken", timeoutMs: 10_000 });
    const c = await db.computer.findUniqueOrThrow({ where: { id: computerId } });
    expect(c.status).toBe("offline");
    expect(await db.auditEvent.count({ where: { action: "agent.computer-offline", computerName: "Srv1" } })).toBeGreaterThan(0);
    await expect(newSession(tech, "Nope")).rejects.toMatchObject({ code: "AGENT_UNAVAILABLE" });
  });

  it("takes new sessions from an agent started afresh, whose Ids start again at 1 beside the earlier run's sessions", async () => {
    const earlier = await db.session.findMany({ where: { computerId }, select: { id: true, agentSessionId: true, state: true } });
    expect(earlier.some((s) => s.agentSessionId === 1)).toBe(true);
    // The same computer (address and token), a new agent run: its session numbers start at 1 again.
    const port = new URL(agent.baseUrl).port;
    agent = await startAgent({ name: "Srv1", args: ["--port", port], env: { BATON_AGENT_TOKEN: agent.token }, configurations: [{ name: "Microsoft.PowerShell" }] });
    await until(() => fleet.link(computerId).status === "online", { what: "link online again", timeoutMs: 30_000 });
    const fresh = await newSession(tech, "AfterRestart");
    expect(fresh.agentSessionId).toBe(1);
    expect(fresh.state).toBe("Opened");
    const rows = await db.session.findMany({ where: { computerId, agentSessionId: 1 }, select: { id: true, name: true, state: true } });
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.id === fresh.id)).toMatchObject({ name: "AfterRestart", state: "Opened" });
    // The earlier run's session keeps its row (ended: the new run no longer has it) and its history.
    const old = earlier.find((s) => s.agentSessionId === 1)!;
    expect(["Closed", "Broken"]).toContain((await db.session.findUniqueOrThrow({ where: { id: old.id }, select: { state: true } })).state);
    expect(await db.sessionEvent.count({ where: { sessionId: old.id, change: "created" } })).toBe(1);
    expect((await listSessions({ actor: tech, filters: filters({ name: "AfterRestart" }) })).rows.map((r) => r.id)).toEqual([fresh.id]);
  }, 60_000);
});
