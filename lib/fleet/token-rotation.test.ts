import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";

// Token rotation from the console's side, against a real agent (docs/deploy.md): re-registering
// a computer with a new token swaps the token of its link in place, so the stream, and the
// session attached through it, stay; a token the agent refuses is rejected before anything changes.
prepareTestDatabase();
process.env.BATON_SECRET = "rotation-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { open } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const { registerComputer } = await import("@/lib/computers/operations");
const ops = await import("@/lib/sessions/operations");
import type { TSessionUser } from "@/lib/auth/session-store";

const admin: TSessionUser = { id: "u-admin", username: "admin", displayName: "Admin", role: "admin", team: null };
const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-fleet-rotate-"));
const tokenFile = path.join(dir, "token");
const oldToken = "old-console-token-" + "a".repeat(24);
const newToken = "new-console-token-" + "b".repeat(24);
let agent: RunningAgent;
let fleet: InstanceType<typeof Fleet>;

async function rewrite(content: string, logLine: string): Promise<void> {
  const seen = agent.logs().split(logLine).length;
  fs.writeFileSync(tokenFile, content);
  agent.proc.kill("SIGHUP");
  await until(() => agent.logs().split(logLine).length > seen, { what: logLine });
}

beforeAll(async () => {
  for (const u of [admin, tech]) await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  fs.writeFileSync(tokenFile, `${oldToken}\n`, { mode: 0o600 });
  agent = await startAgent({ name: "Rot2", args: ["--token-file", tokenFile], env: { BATON_AGENT_TOKEN: "" } });
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await agent?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("re-registering a computer with a rotated token", () => {
  it("refuses a token the agent does not accept, and rotates a good one without dropping the stream or the session", async () => {
    const { id: computerId } = await registerComputer({ actor: admin, input: { name: "Rot2", address: agent.baseUrl, token: oldToken } });
    const link = fleet.link(computerId);
    await until(() => link.status === "online", { what: "link online" });
    const streamId = link.streamId;
    const session = await ops.newSession({ actor: tech, input: { computerId, name: "KeepMe", configurationName: "Microsoft.PowerShell" } });
    expect(session.state).toBe("Opened");

    // A token the agent refuses: a clear error, and nothing changes.
    await expect(registerComputer({ actor: admin, input: { name: "Rot2", address: agent.baseUrl, token: newToken } })).rejects.toThrow(/refused that token/);
    expect(open((await db.computer.findUniqueOrThrow({ where: { id: computerId }, select: { tokenCiphertext: true } })).tokenCiphertext)).toBe(oldToken);

    await rewrite(`${newToken}\n${oldToken}\n`, "current and previous token accepted");
    await registerComputer({ actor: admin, input: { name: "Rot2", address: agent.baseUrl, token: newToken } });
    expect(fleet.link(computerId)).toBe(link);
    expect(open((await db.computer.findUniqueOrThrow({ where: { id: computerId }, select: { tokenCiphertext: true } })).tokenCiphertext)).toBe(newToken);
    await rewrite(`${newToken}\n`, "one token accepted");

    // The link's requests now use the new token; the stream it opened under the old one is the same and still live.
    const record = await ops.loadActionable(tech, session.id);
    await ops.runCommand({ actor: tech, record, command: "echo rotated" });
    expect(link.streamId).toBe(streamId);
    expect(link.status).toBe("online");
    const row = await db.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.state).toBe("Opened");
    expect(row.holderId).toBe(tech.id);
  });
});
