import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";

// Broken, as the store sees it, against a real agent: the link to the agent is cut (a TCP relay
// in between is closed, so the agent and its shells live on) and restored; and a shell dies on
// its own. A Broken session has no holder and no running command, each one is audited with its
// session, and when the agent is back its word replaces the console's guess.
prepareTestDatabase();
process.env.BATON_SECRET = "broken-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const ops = await import("@/lib/sessions/operations");
import type { TSessionUser } from "@/lib/auth/session-store";

const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };

/** A TCP relay to the agent that can be cut (every connection dropped, port closed) and restored on the same port. */
class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => this.sockets.delete(s));
      }
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }
}

let agent: RunningAgent;
let relay: Relay;
let fleet: InstanceType<typeof Fleet>;
let computerId: string;

beforeAll(async () => {
  await db.user.create({ data: { id: tech.id, username: tech.username, displayName: tech.displayName, role: tech.role, passwordHash: "unused" } });
  agent = await startAgent({ name: "Srv7", configurations: [{ name: "Microsoft.PowerShell" }] });
  relay = new Relay(Number(new URL(agent.baseUrl).port));
  await relay.open();
  const { seal } = await import("@/lib/crypto/secret-box");
  const c = await db.computer.create({ data: { name: "Srv7", address: `http://127.0.0.1:${relay.port}`, tokenCiphertext: seal(agent.token) } });
  computerId = c.id;
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => (await db.sessionConfiguration.count({ where: { computerId } })) > 0 && fleet.link(computerId).status === "online", { what: "link online" });
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await relay?.cut();
  await agent?.stop();
});

const newSession = (name: string) => ops.newSession({ actor: tech, input: { computerId, name, configurationName: "Microsoft.PowerShell" } });
const run = async (sessionId: string, command: string) => ops.runCommand({ actor: tech, record: await ops.loadActionable(tech, sessionId), command });
const stored = (id: string) => db.session.findUniqueOrThrow({ where: { id } });
const commandRow = (sessionId: string, command: string) => db.sessionCommand.findFirstOrThrow({ where: { sessionId, command } });
const brokenAudits = (sessionId: string) => db.auditEvent.findMany({ where: { action: "agent.session-broken", sessionId } });

describe("Broken sessions in the store", () => {
  it("computer offline: holder cleared, running command ended, each session audited; back online: the agent's truth again", async () => {
    const long = await newSession("LongJob");
    const short = await newSession("ShortJob");
    await run(long.id, "sleep 30");
    await run(short.id, "sleep 2; (exit 3)");
    await until(async () => ((await stored(long.id)).runningCommand === "sleep 30" ? true : null), { what: "command running in the store" });
    expect((await stored(long.id)).holderId).toBe(tech.id);

    await relay.cut();
    await until(async () => ((await stored(long.id)).state === "Broken" && (await stored(short.id)).state === "Broken") || null, { what: "Broken", timeoutMs: 15_000 });
    for (const id of [long.id, short.id]) {
      const s = await stored(id);
      expect(s).toMatchObject({ state: "Broken", holderId: null, holderName: null, runningCommand: null, commandStartedOn: null });
      expect(s.reason).toContain("Srv7 stopped answering");
      const audits = await brokenAudits(id);
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({ actorName: "agent Srv7", computerName: "Srv7", sessionName: s.name, outcome: "ok" });
    }
    const ended = await commandRow(long.id, "sleep 30");
    expect(ended.endedAt).not.toBeNull();
    expect(ended.exitCode).toBeNull();
    expect(await db.auditEvent.count({ where: { action: "agent.computer-offline", computerName: "Srv7" } })).toBe(1);

    // The short command finishes on the computer while the console cannot see it.
    await new Promise((r) => setTimeout(r, 2500));
    await relay.open();
    await until(async () => ((await stored(long.id)).state !== "Broken" && fleet.link(computerId).status === "online") || null, { what: "reconciled", timeoutMs: 20_000 });
    // The agent disconnected both when the console's stream dropped; the shells kept running.
    const back = await stored(long.id);
    expect(back).toMatchObject({ state: "Disconnected", holderId: null, runningCommand: "sleep 30" });
    expect((await commandRow(long.id, "sleep 30")).endedAt).toBeNull();
    const finished = await commandRow(short.id, "sleep 2; (exit 3)");
    expect(finished.exitCode).toBe(3);
    expect(finished.endedAt).not.toBeNull();
    expect((await stored(short.id)).state).toBe("Disconnected");
    // Still reachable and still its shell: Connect works and the long command is still running.
    const connected = await ops.connectSession({ actor: tech, record: await ops.loadActionable(tech, long.id) });
    expect(connected).toMatchObject({ state: "Opened", holderName: "tech" });
    expect((await stored(long.id)).runningCommand).toBe("sleep 30");
  }, 60_000);

  it("a shell that dies on its own: Broken with no holder and no running command, audited with its session", async () => {
    const s = await newSession("Doomed");
    await run(s.id, "sleep 30");
    await until(async () => ((await stored(s.id)).runningCommand ? true : null), { what: "running" });
    const { pid } = await agent.client.getSession({ id: tech.id, name: tech.username }, (await stored(s.id)).instanceId);
    process.kill(pid!, "SIGKILL");
    await until(async () => ((await stored(s.id)).state === "Broken" ? true : null), { what: "Broken" });
    expect(await stored(s.id)).toMatchObject({ holderId: null, runningCommand: null });
    const row = await commandRow(s.id, "sleep 30");
    expect(row.endedAt).not.toBeNull();
    expect(row.exitCode).toBeNull();
    await until(async () => ((await brokenAudits(s.id)).length === 1 ? true : null), { what: "audited" });
    expect((await brokenAudits(s.id))[0]).toMatchObject({ computerName: "Srv7", sessionName: "Doomed" });
  });
});
