import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { createTestPostgresDatabase } from "@/lib/testing/shared-services";
import { installPlanClient, seedTechnicianScope, seedSessions, sessionListStatements, type TPlanClient } from "@/lib/testing/session-list-plans";

// The sessions list at scale on PostgreSQL (the shared test cluster; statistics gathered as
// autovacuum would): the first page walks an index under a Limit, without a Sort of the table,
// the count is bounded and served by an index. The SQLite twin is list-sessions-plan.test.ts.
const manager: TSessionUser = { id: "u-boss", username: "boss", displayName: "Boss", role: "manager", team: null };
const SESSIONS = 24_000;
let plans: TPlanClient;
let m: { COUNT_CAP: number; listSessions: typeof import("@/lib/data/sessions/list-sessions").listSessions; ZSessionFilters: typeof import("@/lib/dto/sessions").ZSessionFilters };

beforeAll(async () => {
  const url = await createTestPostgresDatabase("baton_plan");
  process.env.DATABASE_URL = url;
  process.env.LOG_LEVEL = "silent";
  process.env.BATON_AUDIT_KEY_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "baton-pg-plan-")), "audit-keys.json");
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: path.resolve(import.meta.dirname, "../.."), env: { ...process.env }, stdio: "pipe" });
  plans = installPlanClient(url);
  const list = await import("@/lib/data/sessions/list-sessions");
  m = { COUNT_CAP: list.COUNT_CAP, listSessions: list.listSessions, ZSessionFilters: (await import("@/lib/dto/sessions")).ZSessionFilters };
  await seedSessions(url, plans.db, { sessions: SESSIONS, computers: 200 });
  await plans.db.$executeRawUnsafe('ANALYZE "Session"');
}, 300_000);

async function planOf(query: Record<string, string>) {
  plans.recorded.length = 0;
  const result = await m.listSessions({ actor: manager, filters: m.ZSessionFilters.parse(query) });
  const { page, count } = sessionListStatements(plans.recorded);
  const out = { result, page: await plans.explain(page), count: await plans.explain(count) };
  if (process.env.PLAN_DEBUG) console.log(JSON.stringify(query), "\nPAGE:\n" + out.page + "\nCOUNT:\n" + out.count);
  return out;
}

describe("sessions list query plans, PostgreSQL, 24,000 sessions", () => {
  it("walks the computer-name index for the default first page and bounds the count", async () => {
    const { result, page, count } = await planOf({});
    expect(page).toMatch(/^Limit/);
    expect(page).toMatch(/Index Scan( Backward)? using "Session_computerName_agentSessionId_idx"/);
    expect(page).not.toMatch(/Sort|Seq Scan/);
    expect(count).toMatch(/Limit/);
    expect(count).not.toMatch(/Seq Scan on "Session"/);
    expect(result.totalCapped).toBe(true);
    expect(result.rows.map((r) => r.computerName)).toEqual(Array(50).fill("BLD-000"));
  });

  it("reads IT* from the name-key range, never the whole table", async () => {
    const { result, page, count } = await planOf({ name: "IT*" });
    // 4,000 match, more than the count's cap.
    expect(result.totalCapped).toBe(true);
    expect(result.total).toBe(m.COUNT_CAP);
    expect(result.rows.every((r) => r.name.startsWith("ITTask"))).toBe(true);
    for (const plan of [page, count]) expect(plan).not.toMatch(/Seq Scan on "Session"/);
    expect(count).toMatch(/Session_nameKey_id_idx/);
  });

  it("serves computer + state and a single state from indexes, in page order", async () => {
    const byComputer = await planOf({ computer: "BLD-007", state: "Disconnected" });
    // Disconnected as the viewer sees it (or attached elsewhere): a BitmapOr of two ranges of
    // (state, computerName), then only those 80 rows ordered.
    expect(byComputer.page).toMatch(/Session_state_computerName_agentSessionId_idx|Session_computerName_agentSessionId_idx/);
    expect(byComputer.page).not.toMatch(/Seq Scan/);
    expect(byComputer.result.total).toBe(80);
    const broken = await planOf({ state: "Broken" });
    expect(broken.page).toMatch(/Session_state_computerName_agentSessionId_idx|Session_computerName_agentSessionId_idx/);
    expect(broken.page).not.toMatch(/Seq Scan|Sort/);
    expect(broken.result.rows.every((r) => r.state === "Broken")).toBe(true);
  });

  it("reads a technician's list as one index range per branch of their scope, in the page's order, never the whole table", async () => {
    // user6 owns 120 sessions; they also hold 3 of user7's and were handed 2 of user8's.
    const { tech, held, handed } = await seedTechnicianScope(plans.db);
    await plans.db.$executeRawUnsafe('ANALYZE "Session"');
    await plans.db.$executeRawUnsafe('ANALYZE "Handoff"');
    for (const query of [{}, { dir: "desc" }, { state: "Broken" }, { computer: "BLD-006" }, { name: "Patch*" }]) {
      plans.recorded.length = 0;
      const result = await m.listSessions({ actor: tech, filters: m.ZSessionFilters.parse(query) });
      // The model API's statements on Session, and the page's own SQL (FROM "Session" s).
      const onSession = plans.recorded.filter((q) => /FROM ("public"\.)?"Session"/.test(q.sql));
      const explained = await Promise.all(onSession.map(async (q) => ({ sql: q.sql, plan: await plans.explain(q) })));
      if (process.env.PLAN_DEBUG) for (const e of explained) console.log(JSON.stringify(query), "\n" + e.sql + "\n" + e.plan);
      for (const e of explained) expect(e.plan, e.sql).not.toMatch(/Seq Scan on "Session"/);
      // The owner's and holder's ids (the page's and the count's, up to cap + 1) read their own
      // index range under a Limit. A range smaller than that Limit (user6 owns 120, holds 43) the
      // planner reads whole and sorts; a larger one it walks in order (bench:console's technician).
      for (const column of ["ownerId", "holderId"]) {
        const branch = explained.find((e) => e.sql.includes(`"Session"."${column}" = $1`) && /ORDER BY "public"\."Session"\."computerName"/.test(e.sql));
        expect(branch, `${column} ${JSON.stringify(query)}`).toBeDefined();
        expect(branch!.plan).toMatch(/^Limit/);
        expect(branch!.plan).toMatch(new RegExp(`Index (Only )?Scan( Backward)? (using|on) "Session_${column}_computerName_agentSessionId_idx"`));
        expect(branch!.plan).toMatch(new RegExp(`Index Cond: \\(+"${column}" = 'plan-user-6'::text\\)`));
      }
      const handoffs = plans.recorded.filter((q) => /FROM "public"\."Handoff"/.test(q.sql) && /"toUserId" = \$1/.test(q.sql));
      // One read of the open handoffs to user6 (two rows here: the planner reads the table's one
      // page rather than the index), then their sessions by id.
      expect(handoffs).toHaveLength(1);
      expect(explained.some((e) => /Index Scan using "Session_pkey"/.test(e.plan))).toBe(true);
      expect(result.rows.length).toBeGreaterThan(0);
      expect(result.rows.every((r) => r.ownerName === "user6" || r.holderName === "user6" || handed.some((h) => h.id === r.id))).toBe(true);
    }
    const all = await m.listSessions({ actor: tech, filters: m.ZSessionFilters.parse({ pageSize: "200" }) });
    expect(all.total).toBe(125);
    expect(all.rows.map((r) => r.id)).toEqual(expect.arrayContaining([...held, ...handed].map((h) => h.id)));
  });
});
