import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";

// A session name filter names the sessions it matches and no others, in the sessions list, the
// audit search by session name and a bulk job's selection, on SQLite (name-filter.test.ts) and
// PostgreSQL (name-filter-postgres.test.ts). Only `*` and `?` are wildcards; the database's LIKE
// also takes `_` and `%` as wildcards and, on PostgreSQL, `\` as its escape, and Prisma passes
// them through unescaped: the stored name key holds stand-ins for the three (sessionNameKey).

const manager: TSessionUser = { id: "sel-manager", username: "manager", displayName: "Manager", role: "manager", team: null };
const NAMES = ["Build_01", "BuildX01", "Build_02", "Pct%Done", "PctXDone", "C:\\Temp", "C:Temp", "Other"];

type M = {
  db: typeof import("@/lib/db/client").db;
  resolveTargets: typeof import("@/lib/sessions/bulk").resolveTargets;
  listSessions: typeof import("@/lib/data/sessions/list-sessions").listSessions;
  ZSessionFilters: typeof import("@/lib/dto/sessions").ZSessionFilters;
  sessionNameKey: typeof import("@/lib/dto/sessions").sessionNameKey;
};

export function nameFilterSuite(prepare: () => Promise<unknown>) {
  let m: M;

  beforeAll(async () => {
    await prepare();
    m = {
      db: (await import("@/lib/db/client")).db,
      resolveTargets: (await import("@/lib/sessions/bulk")).resolveTargets,
      listSessions: (await import("@/lib/data/sessions/list-sessions")).listSessions,
      ZSessionFilters: (await import("@/lib/dto/sessions")).ZSessionFilters,
      sessionNameKey: (await import("@/lib/dto/sessions")).sessionNameKey,
    };
    const c = await m.db.computer.create({ data: { name: "SEL-01", address: "http://127.0.0.1:9", tokenCiphertext: "x" } });
    for (const [i, name] of NAMES.entries()) {
      await m.db.session.create({
        data: {
          computerId: c.id,
          computerName: c.name,
          agentSessionId: i + 1,
          instanceId: `sel-${i}`,
          name,
          nameKey: m.sessionNameKey(name),
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
  }, 60_000);

  const listed = async (pattern: string) =>
    (await m.listSessions({ actor: manager, filters: m.ZSessionFilters.parse({ name: pattern, sort: "name" }) })).rows.map((r) => r.name).sort();
  const targeted = async (pattern: string) =>
    (await m.resolveTargets(manager, { filters: { name: pattern, computer: undefined, owner: undefined } })).map((r) => r.name).sort();

  const cases: [string, string[]][] = [
    ["Build_*", ["Build_01", "Build_02"]],
    ["*_01", ["Build_01"]],
    ["Build_01", ["Build_01"]],
    ["*%*", ["Pct%Done"]],
    ["Pct%Done", ["Pct%Done"]],
    ["C:\\*", ["C:\\Temp"]],
    ["c:\\temp", ["C:\\Temp"]],
    ["Build*", ["BuildX01", "Build_01", "Build_02"]],
    ["*x*", ["BuildX01", "PctXDone"]],
  ];

  describe("a session name filter", () => {
    it.each(cases)("%s lists exactly its sessions", async (pattern, want) => {
      expect(await listed(pattern)).toEqual(want);
    });

    it.each(cases)("%s selects exactly its sessions for a bulk job", async (pattern, want) => {
      expect(await targeted(pattern)).toEqual(want);
    });

    it("stores no LIKE wildcard or escape in a name key", async () => {
      const keys = (await m.db.session.findMany({ select: { nameKey: true } })).map((r) => r.nameKey);
      expect(keys).toHaveLength(NAMES.length);
      expect(keys.join("")).not.toMatch(/[_%\\]/);
    });
  });
}
