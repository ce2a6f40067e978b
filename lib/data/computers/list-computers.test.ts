import { beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import type { TSessionUser } from "@/lib/auth/session-store";

// The fleet overview's counts: by agent state, and by availability as the viewer sees it.
prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { listComputers } = await import("@/lib/data/computers/list-computers");

const me: TSessionUser = { id: "u-me", username: "me", displayName: "Me", role: "manager", team: null };
const tech: TSessionUser = { id: "u-other", username: "other", displayName: "Other", role: "technician", team: null };

beforeAll(async () => {
  const c = await db.computer.create({ data: { name: "Count1", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
  await db.sessionConfiguration.create({
    data: { computerId: c.id, name: "Microsoft.PowerShell", idleTimeoutMs: 7_200_000, maxIdleTimeoutMs: 43_200_000, outputBufferingMode: "Block", outputBufferBytes: 1 << 20, maxShells: 25, maxShellsPerUser: 25, maxConcurrentUsers: 5, maxMemoryPerShellMB: 1024, maxProcessesPerShell: 15 },
  });
  let n = 0;
  const add = (state: "Opened" | "Disconnected" | "Closed" | "Broken", ownerId: string, holderId: string | null, runningCommand: string | null = null) =>
    db.session.create({
      data: { computerId: c.id, computerName: c.name, agentSessionId: ++n, instanceId: crypto.randomUUID(), name: `S${n}`, nameKey: `s${n}`, configurationName: "Microsoft.PowerShell", ownerId, ownerName: ownerId, holderId, holderName: holderId, state, idleTimeoutSec: 7200, outputBufferingMode: "Block", runningCommand },
    });
  await add("Opened", me.id, me.id); // Available to me
  await add("Opened", me.id, me.id, "sleep 9"); // Busy (running)
  await add("Opened", tech.id, tech.id); // Busy to me (attached elsewhere); Available to tech
  await add("Disconnected", tech.id, null); // None
  await add("Broken", tech.id, null); // None, not a live shell
  await add("Closed", tech.id, null); // not counted
});

describe("listComputers", () => {
  it("counts sessions by state and by availability relative to the viewer, and live shells per configuration", async () => {
    const [c] = await listComputers({ actor: me });
    expect(c.sessionsByState).toEqual({ Opened: 3, Disconnected: 1, Broken: 1 });
    expect(c.sessionsByAvailability).toEqual({ Available: 1, Busy: 2, None: 2 });
    expect(c.configurations[0]).toMatchObject({ activeShells: 4, activeUsers: 2 });
  });

  it("gives a technician only their own sessions' counts", async () => {
    const [c] = await listComputers({ actor: tech });
    expect(c.sessionsByState).toEqual({ Opened: 1, Disconnected: 1, Broken: 1 });
    expect(c.sessionsByAvailability).toEqual({ Available: 1, None: 2 });
  });
});
