import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { installPlanClient, seedSessions } from "@/lib/testing/session-list-plans";

// A technician's list, read branch by branch (owned, held, handed over): exactly their sessions,
// each once, in the page's order across pages, with a count exact below the cap and capped above.
const url = prepareTestDatabase();
const { db } = installPlanClient(url);
const { COUNT_CAP, listSessions, sessionsWhere } = await import("@/lib/data/sessions/list-sessions");
const { ZSessionFilters } = await import("@/lib/dto/sessions");

const tech: TSessionUser = { id: "plan-user-6", username: "user6", displayName: "Tech", role: "technician", team: null };
const CLOSED_VISIBLE_MS = 15 * 60_000;

/** What the technician may see under the default view, worked out here from every row. */
async function expectedIds(): Promise<Set<string>> {
  const handed = await db.handoff.findMany({ where: { toUserId: tech.id, endedAt: null }, select: { sessionId: true } });
  const sessions = await db.session.findMany({ select: { id: true, ownerId: true, holderId: true, state: true, updatedAt: true } });
  const since = Date.now() - CLOSED_VISIBLE_MS;
  return new Set(
    sessions
      .filter((s) => s.ownerId === tech.id || s.holderId === tech.id || handed.some((h) => h.sessionId === s.id))
      .filter((s) => s.state !== "Closed" || s.updatedAt.getTime() >= since)
      .map((s) => s.id),
  );
}

/** The same scope as one OR query, ordered by the database: the order the pages must follow. */
async function orderedIds(query: Record<string, string>): Promise<string[]> {
  const filters = ZSessionFilters.parse(query);
  const order = { computer: [{ computerName: filters.dir }, { agentSessionId: filters.dir }], name: [{ nameKey: filters.dir }, { id: filters.dir }], updated: [{ updatedAt: filters.dir }, { id: filters.dir }] } as const;
  const rows = await db.session.findMany({ where: sessionsWhere(tech, filters), select: { id: true }, orderBy: [...order[filters.sort as keyof typeof order]] });
  return rows.map((r) => r.id);
}

async function allPages(query: Record<string, string>): Promise<{ ids: string[]; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  for (let page = 1; ; page++) {
    const result = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ ...query, page: String(page), pageSize: "10" }) });
    ids.push(...result.rows.map((r) => r.id));
    totals.push(result.total);
    if (result.rows.length < 10) return { ids, totals };
  }
}

describe("a technician's sessions list", () => {
  beforeAll(async () => {
    // 3,000 sessions over 200 computers: user6 owns 15 (5 Opened, held by themselves).
    await seedSessions(url, db, { sessions: 3_000, computers: 200 });
    await db.user.createMany({
      data: ["plan-user-6", "plan-user-8", "plan-user-9"].map((id) => ({ id, username: id, displayName: id, role: "technician" as const, passwordHash: "x" })),
    });
    // user6 holds 4 of user7's sessions.
    const held = await db.session.findMany({ where: { ownerId: "plan-user-7", state: "Disconnected" }, select: { id: true }, take: 4 });
    await db.session.updateMany({ where: { id: { in: held.map((h) => h.id) } }, data: { state: "Opened", holderId: tech.id, holderName: "user6" } });
    // Open handoffs to user6: 3 of user8's, one of user6's own (listed once), one ended (not listed).
    const handed = await db.session.findMany({ where: { ownerId: "plan-user-8" }, select: { id: true }, take: 4 });
    const own = await db.session.findFirstOrThrow({ where: { ownerId: tech.id, state: "Disconnected" }, select: { id: true } });
    await db.handoff.createMany({
      data: [
        ...handed.slice(0, 3).map((h) => ({ sessionId: h.id, fromUserId: "plan-user-8", toUserId: tech.id, reason: "cover" })),
        { sessionId: own.id, fromUserId: "plan-user-8", toUserId: tech.id, reason: "back to you" },
        { sessionId: handed[3].id, fromUserId: "plan-user-8", toUserId: tech.id, reason: "done", endedAt: new Date() },
        // Handed by user6 to someone else: gives user6 nothing more.
        { sessionId: (await db.session.findFirstOrThrow({ where: { ownerId: "plan-user-9" }, select: { id: true } })).id, fromUserId: tech.id, toUserId: "plan-user-9", reason: "x" },
      ],
    });
  }, 120_000);

  it("lists exactly the owned, held and handed-over sessions, each once, in the page's order across pages, counted exactly below the cap", async () => {
    const expected = await expectedIds();
    // 15 owned + 4 held + 3 handed over (the one of their own counted once).
    expect(expected.size).toBe(22);
    for (const query of [{}, { dir: "desc" }, { sort: "name", dir: "desc" }, { sort: "updated" }] as Record<string, string>[]) {
      const { ids, totals } = await allPages(query);
      expect(new Set(ids).size, JSON.stringify(query)).toBe(ids.length);
      expect(new Set(ids)).toEqual(expected);
      expect(ids).toEqual(await orderedIds(query));
      expect(totals.every((t) => t === expected.size)).toBe(true);
    }
    // Filters narrow every branch alike.
    const disconnected = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ state: "Disconnected" }) });
    expect(disconnected.rows.length).toBeGreaterThan(0);
    expect(disconnected.rows.every((r) => r.state === "Disconnected" && expected.has(r.id))).toBe(true);
    expect(disconnected.total).toBe((await orderedIds({ state: "Disconnected" })).length);
    const handedOnly = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ handed: "me" }) });
    const open = await db.handoff.findMany({ where: { toUserId: tech.id, endedAt: null }, select: { sessionId: true } });
    expect(handedOnly.total).toBe(4);
    expect(new Set(handedOnly.rows.map((r) => r.id))).toEqual(new Set(open.map((h) => h.sessionId)));
  });

  it("reads each row as the model API reads it: the open handoff and its users, the configuration's maximum, dates and numbers", async () => {
    // The page's rows come from one SQL statement (session-rows-sql.ts); getSessionRows reads the
    // same sessions through Prisma's select. A configuration for the handed-over sessions' computers.
    const open = await db.handoff.findMany({ where: { toUserId: tech.id, endedAt: null }, select: { session: { select: { computerId: true } } } });
    const computerIds = [...new Set(open.map((h) => h.session.computerId))];
    await db.sessionConfiguration.createMany({
      data: computerIds.map((computerId) => ({
        computerId,
        name: "Microsoft.PowerShell",
        idleTimeoutMs: 7_200_000,
        maxIdleTimeoutMs: 3_600_000,
        outputBufferingMode: "Block" as const,
        outputBufferBytes: 1024,
        maxShells: 10,
        maxShellsPerUser: 5,
        maxConcurrentUsers: 5,
        maxMemoryPerShellMB: 1024,
        maxProcessesPerShell: 15,
      })),
    });
    const { getSessionRows } = await import("@/lib/data/sessions/get-session-rows");
    for (const query of [{ pageSize: "200" }, { handed: "me" }, { sort: "expires", dir: "desc" }] as Record<string, string>[]) {
      const listed = await listSessions({ actor: tech, filters: ZSessionFilters.parse(query) });
      const byModel = new Map((await getSessionRows({ actor: tech, ids: listed.rows.map((r) => r.id) })).rows.map((r) => [r.id, r]));
      expect(listed.rows.length).toBeGreaterThan(0);
      for (const row of listed.rows) expect(row).toEqual(byModel.get(row.id));
      if (query.handed) {
        expect(listed.rows.every((r) => r.handedTo?.id === tech.id && r.handedTo.by === "plan-user-8" && r.maxIdleTimeoutSec === 3600)).toBe(true);
        expect(listed.rows.every((r) => r.idleTimeoutExceedsMax)).toBe(true);
      }
    }
  });

  it("caps the count above the cap, and deep pages (past one statement's bound values) keep the order", async () => {
    // user6 now also owns every session of user20..user99: 1,200 more, all listed (the update
    // touched updatedAt, so their Closed ones count as just closed): 1,222 in all.
    await db.session.updateMany({ where: { ownerId: { in: Array.from({ length: 80 }, (_, i) => `plan-user-${i + 20}`) } }, data: { ownerId: tech.id, ownerName: "user6" } });
    const expected = await expectedIds();
    expect(expected.size).toBe(1_222);
    const first = await listSessions({ actor: tech, filters: ZSessionFilters.parse({}) });
    expect(first.totalCapped).toBe(true);
    expect(first.total).toBe(COUNT_CAP);
    const order = await orderedIds({});
    expect(first.rows.map((r) => r.id)).toEqual(order.slice(0, 50));
    // Page 5 of 200 reads 1,000 owned ids: the union is too long for one statement.
    const deep = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ page: "5", pageSize: "200" }) });
    expect(deep.rows.map((r) => r.id)).toEqual(order.slice(800, 1000));
    expect(deep.totalCapped).toBe(true);
    // Past the cap, the count follows the page asked for and turns exact when all are counted.
    const last = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ page: "7", pageSize: "200" }) });
    expect(last.rows).toHaveLength(22);
    expect(last.rows.map((r) => r.id)).toEqual(order.slice(1200, 1400));
    expect(last.totalCapped).toBe(false);
    expect(last.total).toBe(expected.size);
    // A filter below the cap is counted exactly.
    const broken = await listSessions({ actor: tech, filters: ZSessionFilters.parse({ state: "Broken" }) });
    expect(broken.totalCapped).toBe(false);
    expect(broken.total).toBe((await orderedIds({ state: "Broken" })).length);
  });
});
