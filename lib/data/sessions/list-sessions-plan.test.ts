import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { installPlanClient, seedTechnicianScope, seedSessions, sessionListStatements } from "@/lib/testing/session-list-plans";

// The sessions list at scale on SQLite (the embedded default, opened as the console opens it:
// no ANALYZE statistics): each page walks an index and stops, each count is bounded, whatever
// the number of sessions. lib/db/postgres-list-plan.test.ts checks the same on PostgreSQL.
const url = prepareTestDatabase();
const plans = installPlanClient(url);
const { COUNT_CAP, listSessions } = await import("@/lib/data/sessions/list-sessions");
const { ZSessionFilters } = await import("@/lib/dto/sessions");

const manager: TSessionUser = { id: "u-boss", username: "boss", displayName: "Boss", role: "manager", team: null };
const SESSIONS = 24_000;

async function planOf(query: Record<string, string>, actor = manager) {
  plans.recorded.length = 0;
  const result = await listSessions({ actor, filters: ZSessionFilters.parse(query) });
  const statements = plans.recorded.map((q) => q.sql);
  const { page, count } = sessionListStatements(plans.recorded);
  const out = { result, statements, page: await plans.explain(page), count: await plans.explain(count) };
  if (process.env.PLAN_DEBUG) console.log(JSON.stringify(query), actor.role, "\nPAGE:\n" + out.page + "\nCOUNT:\n" + out.count);
  return out;
}

describe("sessions list query plans, SQLite, 24,000 sessions", () => {
  beforeAll(async () => {
    await seedSessions(url, plans.db, { sessions: SESSIONS, computers: 200 });
  }, 300_000);

  it("serves the default first page (by computer) from the computer-name index, with no sort, and caps the count", async () => {
    const { result, page, count } = await planOf({});
    expect(page).toMatch(/Session_computerName_agentSessionId_idx/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    // Live sessions, plus Closed ones of the last 15 minutes (none here: they closed yesterday).
    expect(result.total).toBe(COUNT_CAP);
    expect(result.totalCapped).toBe(true);
    expect(result.rows.map((r) => r.computerName)).toEqual(Array(50).fill("BLD-000"));
    expect(result.rows.every((r) => r.state !== "Closed")).toBe(true);
    expect(count).toMatch(/Session_computerName_agentSessionId_idx/);
    expect(count).not.toMatch(/TEMP B-TREE|^SCAN main\.Session$/m);
    const desc = await planOf({ dir: "desc" });
    expect(desc.page).toMatch(/Session_computerName_agentSessionId_idx/);
    expect(desc.page).not.toMatch(/TEMP B-TREE/);
    expect(desc.result.rows[0].computerName).toBe("BLD-199");
  });

  it("serves IT* from a name-key range, the page and the count", async () => {
    const { result, page, count } = await planOf({ name: "IT*" });
    // One in five sessions is ITTask… (4,000 here): more than the cap, so the count stops there.
    expect(result.totalCapped).toBe(true);
    expect(result.total).toBe(COUNT_CAP);
    // Under the cap the count is exact.
    const few = await planOf({ name: "IT*", computer: "BLD-007" });
    expect(few.result.totalCapped).toBe(false);
    expect(few.result.total).toBe(few.result.rows.length);
    expect(few.result.rows.every((r) => r.name.startsWith("ITTask") && r.computerName === "BLD-007")).toBe(true);
    expect(result.rows.every((r) => r.name.startsWith("ITTask"))).toBe(true);
    // The count reads the matches from the name range (never the table) and stops at the cap.
    expect(count).toMatch(/Session_nameKey_id_idx \(nameKey>\? AND nameKey<\?\)/);
    expect(count).not.toMatch(/TEMP B-TREE|^SCAN main\.Session$/m);
    // Matches are common (the count reached its cap): the page walks its own order's index and
    // stops after a page, instead of sorting thousands of matches.
    expect(page).toMatch(/Session_computerName_agentSessionId_idx/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    // A rare prefix: the page reads its few matches from the name range and sorts only those.
    const rare = await planOf({ name: "ITTask12*" });
    expect(rare.result.totalCapped).toBe(false);
    expect(rare.result.total).toBeGreaterThan(0);
    expect(rare.result.rows.every((r) => r.name.toLowerCase().startsWith("ittask12"))).toBe(true);
    expect(rare.page).toMatch(/Session_nameKey_id_idx \(nameKey>\? AND nameKey<\?\)/);
    expect(rare.count).toMatch(/Session_nameKey_id_idx \(nameKey>\? AND nameKey<\?\)/);
    // A prefix with a character other than a letter or digit keeps the LIKE alone.
    const odd = await planOf({ name: "Back-*" });
    expect(odd.page).not.toMatch(/nameKey>\?/);
    expect(odd.result.total).toBe(0);
  });

  it("serves computer + state, owner and state filters from indexes", async () => {
    const byComputer = await planOf({ computer: "BLD-007", state: "Disconnected" });
    expect(byComputer.page).toMatch(/Session_computerName_agentSessionId_idx \(computerName=\?\)/);
    expect(byComputer.page).not.toMatch(/TEMP B-TREE/);
    expect(byComputer.result.rows.every((r) => r.computerName === "BLD-007" && r.state === "Disconnected")).toBe(true);
    // Disconnected as the viewer sees it: disconnected, or attached to someone else.
    expect(byComputer.result.total).toBe(80);

    const byOwner = await planOf({ owner: "user7", sort: "owner" });
    expect(byOwner.page).toMatch(/Session_ownerName_id_idx \(ownerName=\?\)/);
    expect(byOwner.page).not.toMatch(/TEMP B-TREE/);
    expect(byOwner.result.rows.every((r) => r.ownerName === "user7")).toBe(true);

    const broken = await planOf({ state: "Broken" });
    expect(broken.page).toMatch(/Session_state_computerName_agentSessionId_idx \(state=\?\)/);
    expect(broken.page).not.toMatch(/TEMP B-TREE/);
    expect(broken.result.rows.every((r) => r.state === "Broken")).toBe(true);
  });

  it("reads a technician's list (owned, held, handed over) as one index range per branch in the page's order, never the whole table", async () => {
    // user6 owns 120 sessions (none Closed; 40 Opened, held by themselves), holds 3 of user7's and was handed 2 of user8's.
    const { tech, held, handed } = await seedTechnicianScope(plans.db);
    for (const query of [{}, { dir: "desc" }, { state: "Disconnected" }, { state: "Broken" }, { computer: "BLD-006" }, { name: "Patch*" }, { sort: "name" }]) {
      plans.recorded.length = 0;
      const result = await listSessions({ actor: tech, filters: ZSessionFilters.parse(query) });
      // The model API's statements on Session, and the page's own SQL (FROM "Session" s).
      const onSession = plans.recorded.filter((q) => /FROM ([`"]main[`"]\.)?[`"]Session[`"]/.test(q.sql));
      const explained = await Promise.all(onSession.map(async (q) => ({ sql: q.sql, plan: await plans.explain(q) })));
      if (process.env.PLAN_DEBUG) for (const e of explained) console.log(JSON.stringify(query), "\n" + e.sql + "\n" + e.plan);
      const range = (column: string) => new RegExp(`SEARCH main\\.Session USING INDEX Session_${column}_computerName_agentSessionId_idx \\(${column}=\\?`);
      // Every statement reads a range: an owner's or holder's entries, or sessions by id.
      for (const e of explained) expect(e.plan, e.sql).not.toMatch(/SCAN main\.Session\b/);
      const owned = explained.filter((e) => range("ownerId").test(e.plan));
      const heldBy = explained.filter((e) => range("holderId").test(e.plan));
      expect(owned.length, JSON.stringify(query)).toBeGreaterThan(0);
      expect(heldBy.length, JSON.stringify(query)).toBeGreaterThan(0);
      // The handed-over branch starts from the Handoff index, then reads those sessions by id.
      const handoffs = plans.recorded.filter((q) => /FROM [`"]main[`"]\.[`"]Handoff[`"]/.test(q.sql) && /toUserId[`"] = \?/.test(q.sql));
      expect(handoffs).toHaveLength(1);
      expect(await plans.explain(handoffs[0])).toMatch(/SEARCH main\.Handoff USING INDEX Handoff_toUserId_endedAt_idx \(toUserId=\? AND endedAt=\?\)/);
      // The page's rows are read by id (the page's SQL names the table s).
      expect(explained.some((e) => /SEARCH (main\.Session|s) USING INDEX sqlite_autoindex_Session_1 \(id=\?\)/.test(e.plan))).toBe(true);
      // In the default order the owner's and holder's pages come out of their index without a sort.
      if (!("sort" in query)) for (const e of [...owned, ...heldBy]) expect(e.plan).not.toMatch(/TEMP B-TREE/);
      expect(result.rows.length).toBeGreaterThan(0);
      expect(result.rows.every((r) => r.ownerName === "user6" || r.holderName === "user6" || handed.some((h) => h.id === r.id))).toBe(true);
    }
    const all = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ pageSize: "200" }) });
    // 120 owned (the 40 they hold once) + 3 held + 2 handed over.
    expect(all.total).toBe(125);
    expect(all.rows.map((r) => r.id)).toEqual(expect.arrayContaining([...held, ...handed].map((h) => h.id)));
  });

  it("a bulk selection resolves more sessions than one statement may bind (999 on SQLite), by filter and by ids, in job order", async () => {
    const { resolveTargets } = await import("@/lib/sessions/bulk");
    const byFilter = await resolveTargets(manager, { filters: ZSessionFilters.parse({ name: "IT*" }) });
    expect(byFilter.length).toBeGreaterThan(1000);
    expect(byFilter.every((r) => r.name.startsWith("ITTask"))).toBe(true);
    const order = (rs: typeof byFilter) =>
      rs.every((r, i) => i === 0 || rs[i - 1].computer.name < r.computer.name || (rs[i - 1].computer.name === r.computer.name && rs[i - 1].agentSessionId < r.agentSessionId));
    expect(order(byFilter)).toBe(true);
    const ids = byFilter.slice(0, 1200).map((r) => r.id).reverse();
    const byIds = await resolveTargets(manager, { sessionIds: ids });
    expect(byIds.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(order(byIds)).toBe(true);
  });

  it("pages past the cap: the count follows the page asked for", async () => {
    const { result } = await planOf({ page: "210", pageSize: "50" });
    expect(result.rows).toHaveLength(50);
    expect(result.total).toBe(210 * 50);
    expect(result.totalCapped).toBe(true);
  });
});
