import { beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import type { TSessionUser } from "@/lib/auth/session-store";

// "No watching without asking" is the owner's or holder's choice, and only where the session's
// configuration lets holders refuse watching; anyone else is refused and nothing changes.
prepareTestDatabase();
let m: {
  db: typeof import("@/lib/db/client").db;
  setAskBeforeWatching: typeof import("@/lib/sessions/watching").setAskBeforeWatching;
  loadActionable: typeof import("@/lib/sessions/operations").loadActionable;
};
const user = (id: string, role: TSessionUser["role"]): TSessionUser => ({ id, username: id, displayName: id, role, team: null });
const tech = user("u-tech", "technician");
const other = user("u-other", "technician");
const boss = user("u-boss", "manager");
let computerId = "";

async function session(configurationName: string, over: Partial<{ holderId: string | null; state: "Opened" | "Disconnected" | "Closed" }> = {}) {
  const n = Math.floor(Math.random() * 1e9);
  return m.db.session.create({
    data: {
      computerId,
      computerName: "WatchSrv",
      agentSessionId: n,
      instanceId: `inst-${n}`,
      name: `S${n}`,
      nameKey: `s${n}`,
      configurationName,
      ownerId: tech.id,
      ownerName: tech.username,
      holderId: over.holderId === undefined ? tech.id : over.holderId,
      holderName: over.holderId === null ? null : tech.username,
      state: over.state ?? "Opened",
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block",
    },
  });
}

beforeAll(async () => {
  m = {
    db: (await import("@/lib/db/client")).db,
    setAskBeforeWatching: (await import("@/lib/sessions/watching")).setAskBeforeWatching,
    loadActionable: (await import("@/lib/sessions/operations")).loadActionable,
  };
  const c = await m.db.computer.create({ data: { name: "WatchSrv", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
  computerId = c.id;
  const limits = {
    idleTimeoutMs: 7_200_000,
    maxIdleTimeoutMs: 43_200_000,
    outputBufferingMode: "Block" as const,
    outputBufferBytes: 1 << 20,
    maxShells: 25,
    maxShellsPerUser: 25,
    maxConcurrentUsers: 5,
    maxMemoryPerShellMB: 1024,
    maxProcessesPerShell: 15,
  };
  await m.db.sessionConfiguration.create({ data: { ...limits, computerId, name: "Open" } });
  await m.db.sessionConfiguration.create({ data: { ...limits, computerId, name: "Watched", allowAskBeforeWatching: false } });
});

describe("no watching without asking", () => {
  it("the owner turns it on and off where the configuration allows it", async () => {
    const s = await session("Open");
    const record = await m.loadActionable(tech, s.id);
    expect(record.askBeforeWatching).toBe(false);
    await expect(m.setAskBeforeWatching({ actor: tech, record, ask: true })).resolves.toEqual({ askBeforeWatching: true });
    expect((await m.db.session.findUniqueOrThrow({ where: { id: s.id } })).askBeforeWatching).toBe(true);
    await m.setAskBeforeWatching({ actor: tech, record, ask: false });
    expect((await m.db.session.findUniqueOrThrow({ where: { id: s.id } })).askBeforeWatching).toBe(false);
  });

  it("is refused, naming the configuration, where holders may not refuse watching; nothing changes", async () => {
    const s = await session("Watched");
    const record = await m.loadActionable(tech, s.id);
    await expect(m.setAskBeforeWatching({ actor: tech, record, ask: true })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("The configuration Watched on WatchSrv does not let holders refuse watching"),
    });
    expect((await m.db.session.findUniqueOrThrow({ where: { id: s.id } })).askBeforeWatching).toBe(false);
  });

  it("is refused to a manager who neither owns nor holds the session, and for a Closed session", async () => {
    const s = await session("Open");
    const record = await m.loadActionable(boss, s.id);
    await expect(m.setAskBeforeWatching({ actor: boss, record, ask: true })).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("Only the owner or the holder") });
    const closed = await session("Open", { state: "Closed", holderId: null });
    await expect(m.setAskBeforeWatching({ actor: tech, record: await m.loadActionable(tech, closed.id), ask: true })).rejects.toMatchObject({ code: "INVALID_STATE" });
    expect((await m.db.session.findUniqueOrThrow({ where: { id: s.id } })).askBeforeWatching).toBe(false);
  });

  it("another technician cannot even load the session to act on it", async () => {
    const s = await session("Open");
    await expect(m.loadActionable(other, s.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
