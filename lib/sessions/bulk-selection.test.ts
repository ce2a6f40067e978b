import { describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// A bulk job over a name filter acts on the sessions the pattern names and no others. The
// database's LIKE (Prisma does not escape it) also takes `_` and `%` as wildcards.
prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { resolveTargets } = await import("@/lib/sessions/bulk");
const { nameMatches } = await import("@/lib/dto/sessions");

const manager: TSessionUser = { id: "sel-manager", username: "manager", displayName: "Manager", role: "manager", team: null };

async function seed(names: string[]) {
  const c = await db.computer.create({ data: { name: "SEL-01", address: "http://127.0.0.1:9", tokenCiphertext: "x" } });
  for (const [i, name] of names.entries()) {
    await db.session.create({
      data: {
        computerId: c.id,
        computerName: c.name,
        agentSessionId: i + 1,
        instanceId: `sel-${i}`,
        name,
        nameKey: name.toLowerCase(),
        configurationName: "Microsoft.PowerShell",
        ownerId: "sel-owner",
        ownerName: "owner",
        state: "Disconnected",
        idleTimeoutSec: 7200,
        outputBufferingMode: "Block",
        createdAt: new Date(),
      },
    });
  }
}

describe("a bulk job's selection by name", () => {
  it("takes `_` and `%` in the pattern literally, as the sessions list promises", async () => {
    await seed(["Build_01", "BuildX01", "Build_02", "Pct%Done", "PctXDone", "Other"]);
    const names = async (pattern: string) => (await resolveTargets(manager, { filters: { name: pattern, computer: undefined, owner: undefined } })).map((r) => r.name);
    expect(await names("Build_*")).toEqual(["Build_01", "Build_02"]);
    expect(await names("*_01")).toEqual(["Build_01"]);
    expect(await names("*%*")).toEqual(["Pct%Done"]);
    expect(await names("Build*")).toEqual(["Build_01", "BuildX01", "Build_02"]);
    // What the database alone selects for the first pattern: the lookalike too.
    const like = await db.session.findMany({ where: { nameKey: { startsWith: "build_" } }, select: { name: true } });
    expect(like.map((r) => r.name).sort()).toContain("BuildX01");
    expect(nameMatches("BuildX01", "Build_*")).toBe(false);
  });
});
