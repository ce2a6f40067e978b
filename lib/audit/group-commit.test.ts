import Database from "better-sqlite3";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

const url = prepareTestDatabase();
const { appendAuditEvent, appendAuditEvents, appendSettlingIntents, forgetAuditTail } = await import("@/lib/audit/append");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { db } = await import("@/lib/db/client");

const actor = { id: null, name: "tester", role: "admin" };

function intent(id: string) {
  return { id, at: new Date(), owner: "test", actorName: "tester", actorRole: "admin", action: "session.disconnect", computerId: "c1", computerName: "PC-1" };
}

describe("audit group commit", () => {
  beforeEach(async () => {
    const d = new Database(url.replace(/^file:/, ""));
    d.exec('DROP TRIGGER IF EXISTS "AuditEvent_no_delete"; DELETE FROM "AuditEvent"; DELETE FROM "ActionIntent";');
    d.close();
    forgetAuditTail();
    vi.restoreAllMocks();
  });

  it("commits appends that wait together in one statement, chained in call order, each caller answered with its own link", async () => {
    const inserts = vi.spyOn(db, "$executeRawUnsafe");
    // The first append commits alone; the 39 that queue behind it share the next commit.
    const results = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => appendAuditEvent({ actor, action: `group.one${i}`, outcome: "ok", params: { i } })),
      appendAuditEvents([0, 1, 2].map((j) => ({ actor, action: `group.bulk${j}`, outcome: "ok" as const }))),
      ...Array.from({ length: 9 }, (_, i) => appendAuditEvent({ actor, action: `group.two${i}`, outcome: "ok" })),
    ]);
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { seq: true, action: true, hash: true } });
    expect(rows).toHaveLength(42);
    const expected = [...Array.from({ length: 30 }, (_, i) => `group.one${i}`), "group.bulk0", "group.bulk1", "group.bulk2", ...Array.from({ length: 9 }, (_, i) => `group.two${i}`)];
    expect(rows.map((r) => r.action)).toEqual(expected);
    expect(rows.map((r) => r.seq)).toEqual(expected.map((_, i) => i + 1));
    // Each caller got the seq and hash of its own event(s).
    const flat = results.flatMap((r) => (Array.isArray(r) ? r : [r]));
    expect(flat).toEqual(rows.map((r) => ({ seq: r.seq, hash: r.hash })));
    // Fewer commits than callers: the waiting ones were grouped.
    const statements = inserts.mock.calls.filter(([sql]) => sql.startsWith('INSERT INTO "AuditEvent"')).length;
    expect(statements).toBeGreaterThanOrEqual(2);
    expect(statements).toBeLessThan(10);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 42 });
  });

  it("settles intents exactly once inside a group: an outcome already recorded elsewhere writes nothing, the rest commit", async () => {
    await db.actionIntent.createMany({ data: ["a1", "a2", "b1", "c1"].map(intent) });
    // Another writer already settled b's second intent (b2 never exists here).
    const [first, a, b, c, again] = await Promise.all([
      appendAuditEvent({ actor, action: "group.first", outcome: "ok" }),
      appendSettlingIntents({ actor, action: "group.a", outcome: "ok" }, ["a1", "a2"]),
      appendSettlingIntents({ actor, action: "group.b", outcome: "ok" }, ["b1", "b2"]),
      appendSettlingIntents({ actor, action: "group.c", outcome: "error", error: "agent said no" }, ["c1"]),
      appendSettlingIntents({ actor, action: "group.a-again", outcome: "ok" }, ["a1"]),
    ]);
    expect(first.seq).toBe(1);
    expect(a).toMatchObject({ seq: 2 });
    expect(b).toBeNull();
    expect(c).toMatchObject({ seq: 3 });
    // a1 was deleted by a's commit: the repeat finds it gone and records nothing.
    expect(again).toBeNull();
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { action: true } });
    expect(rows.map((r) => r.action)).toEqual(["group.first", "group.a", "group.c"]);
    // b's rollback kept its remaining intent for whoever records it; the others are gone.
    expect((await db.actionIntent.findMany({ select: { id: true } })).map((i) => i.id)).toEqual(["b1"]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 3 });
  });

  it("fails only the caller whose event the database refuses; the others in its group commit", async () => {
    await appendAuditEvent({ actor, action: "group.first", outcome: "ok" });
    const bad = { actor, action: "group.bad", outcome: "ok" as const, at: new Date(Number.NaN) };
    const [x, y, z] = await Promise.allSettled([
      appendAuditEvent({ actor, action: "group.x", outcome: "ok" }),
      appendAuditEvent(bad),
      appendAuditEvent({ actor, action: "group.z", outcome: "ok" }),
    ]);
    expect(x.status).toBe("fulfilled");
    expect(y.status).toBe("rejected");
    expect(z.status).toBe("fulfilled");
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { action: true } });
    expect(rows.map((r) => r.action)).toEqual(["group.first", "group.x", "group.z"]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 3 });
  });

  it("stores events as Prisma's model layer reads them, and rolls back a bulk spanning several INSERTs when a later one hits a moved tail", async () => {
    const at = new Date("2026-03-04T05:06:07.089Z");
    const first = await appendAuditEvent({ actor, action: "group.first", outcome: "ok", at });
    // Another writer put #2050 in place while this process still caches #1 as the tail: the
    // bulk's third INSERT (#2002-#2101) collides with it after the first two went in.
    const d = new Database(url.replace(/^file:/, ""));
    d.prepare(`INSERT INTO "AuditEvent" ("seq","at","actorName","actorRole","action","outcome","params","prevHash","hash") VALUES (2050, ?, 'other', 'admin', 'x', 'ok', '{}', ?, ?)`).run(at.toISOString(), "e".repeat(64), "f".repeat(64));
    const stored = d.prepare('SELECT "at" FROM "AuditEvent" WHERE "seq" = ?').get(first.seq) as { at: string };
    d.close();
    // The same text Prisma's createMany stored, so every reader of the column sees the same time.
    expect(stored.at).toBe("2026-03-04T05:06:07.089+00:00");
    expect((await db.auditEvent.findUniqueOrThrow({ where: { seq: first.seq } })).at).toEqual(at);

    const inserts = vi.spyOn(db, "$executeRawUnsafe");
    const bulk = await appendAuditEvents(Array.from({ length: 2100 }, (_, i) => ({ actor, action: `group.bulk${i}`, outcome: "ok" as const })));
    // Rolled back whole and written again after #2050: nothing of the first attempt remains.
    expect(bulk.map((r) => r.seq)).toEqual(Array.from({ length: 2100 }, (_, i) => 2051 + i));
    expect(await db.auditEvent.count({ where: { seq: { gt: first.seq, lt: 2050 } } })).toBe(0);
    expect(await db.auditEvent.count()).toBe(2102);
    const after = await db.auditEvent.findUniqueOrThrow({ where: { seq: 2051 } });
    expect(after).toMatchObject({ prevHash: "f".repeat(64), action: "group.bulk0" });
    // 1,000 + 1,000 + 100 rows per attempt: the first attempt's two INSERTs that went in were undone.
    expect(inserts.mock.calls.filter(([sql]) => sql.startsWith('INSERT INTO "AuditEvent"')).map((c) => (c.length - 1) / 17)).toEqual([1000, 1000, 100, 1000, 1000, 100]);
  });

  it("writes an event with a dedupe key once: again later, twice in one group, or by another writer; each caller gets the event on record", async () => {
    const first = await appendAuditEvent({ actor, action: "agent.idle-expired", outcome: "ok", dedupeKey: "agent:i1:7:closed" });
    // A retry of the same event later, and two in one group (the second waits behind the first's commit).
    const [retry, other, inGroupA, inGroupB] = await Promise.all([
      appendAuditEvent({ actor, action: "agent.idle-expired", outcome: "ok", dedupeKey: "agent:i1:7:closed" }),
      appendAuditEvent({ actor, action: "agent.idle-expired", outcome: "ok", dedupeKey: "agent:i2:3:closed" }),
      appendAuditEvent({ actor, action: "terminal.command", outcome: "ok", dedupeKey: "typed:i1:i4" }),
      appendAuditEvent({ actor, action: "terminal.command", outcome: "ok", dedupeKey: "typed:i1:i4" }),
    ]);
    expect(retry).toEqual(first);
    expect(inGroupB).toEqual(inGroupA);
    expect(other.seq).not.toBe(first.seq);
    // Another writer (another console) commits the same event between this appender's look and
    // its INSERT: the look is made to miss it, the INSERT meets the unique key, and the retry
    // finds the event on record instead of writing it again.
    const elsewhere = await appendAuditEvent({ actor, action: "agent.session-broken", outcome: "ok", dedupeKey: "agent:i3:1:broken" });
    const look = vi.spyOn(db.auditEvent, "findMany").mockResolvedValueOnce([]);
    const raced = await appendAuditEvent({ actor, action: "agent.session-broken", outcome: "ok", dedupeKey: "agent:i3:1:broken" });
    expect(look).toHaveBeenCalledTimes(2);
    expect(raced).toEqual(elsewhere);
    // Events without a key are never merged.
    await appendAuditEvents([{ actor, action: "plain", outcome: "ok" }, { actor, action: "plain", outcome: "ok" }]);
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { action: true, dedupeKey: true } });
    expect(rows.map((r) => r.dedupeKey)).toEqual(["agent:i1:7:closed", "agent:i2:3:closed", "typed:i1:i4", "agent:i3:1:broken", null, null]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 6 });
  });
});
