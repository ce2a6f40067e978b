import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";

// What an auditor finds in the store after people typed in terminals, against a real agent:
// each typed line as a command row with its typist, time and exit code (like `run`), control
// keys as audit events by whom, a transcript that says who typed each line across a takeover,
// and no trace anywhere of a secret typed at an echo-off prompt.
prepareTestDatabase();
process.env.BATON_SECRET = "attribution-test-secret-0123456789abcdef0123";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const { COMMAND_NOT_REPORTED } = await import("@/lib/fleet/computer-link");
const { actAs } = await import("@/lib/fleet/act-as");
const ops = await import("@/lib/sessions/operations");
const { takeOverSession } = await import("@/lib/sessions/handoff");
const { getSessionTranscript } = await import("@/lib/data/audit/get-session-transcript");
import type { TSessionUser } from "@/lib/auth/session-store";

const user = (role: TSessionUser["role"], username: string): TSessionUser => ({ id: `u-${username}`, username, displayName: username, role, team: null });
const tech = user("technician", "tech1");
const manager = user("manager", "boss");
const auditor = user("auditor", "audit");

let agent: RunningAgent;
let fleet: InstanceType<typeof Fleet>;
let computerId: string;
const output = new Map<string, string>();

beforeAll(async () => {
  for (const u of [tech, manager, auditor]) {
    await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  }
  agent = await startAgent({ name: "Srv1", configurations: [{ name: "Microsoft.PowerShell" }] });
  const c = await db.computer.create({ data: { name: "Srv1", address: agent.baseUrl, tokenCiphertext: seal(agent.token) } });
  computerId = c.id;
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
  fleet.link(computerId).on("output", (f) => output.set(f.instanceId, (output.get(f.instanceId) ?? "") + f.data.toString()));
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await agent?.stop();
});

/** Keystrokes as the browser terminal sends them: through the link, as the signed-in user. */
async function type(as: TSessionUser, instanceId: string, data: string) {
  await fleet.link(computerId).request(actAs(as), (c) => c.input(actAs(as), instanceId, data));
}

const finishedRow = (sessionId: string, command: string) =>
  until(async () => db.sessionCommand.findFirst({ where: { sessionId, command, exitCode: { not: null } }, include: { actor: true } }), {
    what: `"${command}" recorded with its exit code`,
    timeoutMs: 15_000,
  });

describe("typed commands in the store", () => {
  it("records a typed line like a run command: text, typist, time, exit code, output, audit event", async () => {
    const row = await ops.newSession({ actor: tech, input: { computerId, name: "Typed", configurationName: "Microsoft.PowerShell" } });
    const before = Date.now();
    await type(tech, row.instanceId, "echo typed-hi; (exit 4)\r");
    const cmd = await finishedRow(row.id, "echo typed-hi; (exit 4)");
    expect(cmd).toMatchObject({ actorId: tech.id, exitCode: 4 });
    expect(cmd.startedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(cmd.endedAt).not.toBeNull();
    await until(async () => ((await db.sessionCommand.findUniqueOrThrow({ where: { id: cmd.id } })).output.includes("typed-hi") ? true : null), { what: "transcript output" });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { sessionId: row.id, action: "terminal.command" } });
    expect(audit).toMatchObject({ actorId: tech.id, actorName: "tech1", actorRole: "technician", computerName: "Srv1", sessionName: "Typed", outcome: "ok" });
    expect(JSON.parse(audit.params)).toMatchObject({ command: "echo typed-hi; (exit 4)" });

    // A line the shell keeps out of its history is recorded as missing, still with its typist.
    await type(tech, row.instanceId, "HISTCONTROL=ignorespace\r");
    await finishedRow(row.id, "HISTCONTROL=ignorespace");
    await type(tech, row.instanceId, " echo hidden-line\r");
    const hidden = await finishedRow(row.id, COMMAND_NOT_REPORTED);
    expect(hidden).toMatchObject({ actorId: tech.id, exitCode: 0 });
    expect(await db.sessionCommand.count({ where: { sessionId: row.id, command: { contains: "hidden-line" } } })).toBe(0);
  });

  it("audits a manager's Ctrl-C by whom, and the transcript says who typed each line across the takeover", async () => {
    const row = await ops.newSession({ actor: tech, input: { computerId, name: "Handed", configurationName: "Microsoft.PowerShell" } });
    await type(tech, row.instanceId, "sleep 30\r");
    await until(async () => db.sessionCommand.findFirst({ where: { sessionId: row.id, command: "sleep 30" } }), { what: "sleep recorded" });
    await takeOverSession({ actor: manager, record: await ops.loadActionable(manager, row.id), reason: "INC-9 runaway job" });
    await type(manager, row.instanceId, "\x03");
    const sleep = await finishedRow(row.id, "sleep 30");
    expect(sleep).toMatchObject({ actorId: tech.id, exitCode: 130 });
    const interrupt = await until(async () => db.auditEvent.findFirst({ where: { sessionId: row.id, action: "terminal.interrupt" } }), { what: "interrupt audited" });
    expect(interrupt).toMatchObject({ actorId: manager.id, actorName: "boss", actorRole: "manager", sessionName: "Handed", computerName: "Srv1" });
    expect(JSON.parse(interrupt.params)).toMatchObject({ key: "Ctrl-C", count: 1, command: "sleep 30" });

    await type(manager, row.instanceId, "echo by-boss\r");
    await finishedRow(row.id, "echo by-boss");
    await type(manager, row.instanceId, "\x1a");
    const ctrlZ = await until(async () => db.auditEvent.findFirst({ where: { sessionId: row.id, action: "terminal.control-key" } }), { what: "Ctrl-Z audited" });
    expect(JSON.parse(ctrlZ.params)).toMatchObject({ key: "Ctrl-Z", command: null });

    const transcript = await getSessionTranscript({ actor: auditor, sessionId: row.id });
    expect(transcript.commands.map((c) => [c.command, c.actorName, c.exitCode])).toEqual([
      ["sleep 30", "tech1", 130],
      ["echo by-boss", "boss", 0],
    ]);
  });

  it("keeps no trace of a secret typed at an echo-off prompt in any table", async () => {
    const secret = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
    const row = await ops.newSession({ actor: tech, input: { computerId, name: "Secret", configurationName: "Microsoft.PowerShell" } });
    // The prompt is spelt with an escape so the echoed command line does not contain it.
    await type(tech, row.instanceId, `read -rs -p $'Pass\\x77ord: ' pw; echo "read ${"$"}{#pw}"\r`);
    await until(() => (output.get(row.instanceId) ?? "").includes("Password: "), { what: "password prompt" });
    for (const ch of secret) await type(tech, row.instanceId, ch);
    await type(tech, row.instanceId, "\r");
    const cmd = await finishedRow(row.id, `read -rs -p $'Pass\\x77ord: ' pw; echo "read ${"$"}{#pw}"`);
    await until(async () => ((await db.sessionCommand.findUniqueOrThrow({ where: { id: cmd.id } })).output.includes(`read ${secret.length}`) ? true : null), {
      what: "the read's output in the transcript",
    });

    const tables = await db.$queryRawUnsafe<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["AuditEvent", "SessionCommand", "SessionEvent", "Session"]));
    for (const { name } of tables) {
      const rows = await db.$queryRawUnsafe<unknown[]>(`SELECT * FROM "${name}"`);
      const text = JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      expect(text, `table ${name}`).not.toContain(secret);
    }
    expect(output.get(row.instanceId)).not.toContain(secret);
    expect(agent.logs()).not.toContain(secret);
  });
});
