import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { preparePostgresTestDatabase } from "@/lib/testing/shared-services";

// The appender's raw multi-row INSERTs on a real PostgreSQL server: the values stored as the
// model layer reads them, an intent settled elsewhere rolling back the group's transaction, a
// tail moved by another writer (23505) retried, a bulk over several statements in one commit.
let url: string;
let m: {
  db: typeof import("@/lib/db/client").db;
  append: typeof import("@/lib/audit/append");
  verifyAuditChain: typeof import("@/lib/audit/verify").verifyAuditChain;
};
let admin: pg.Client;
const actor = { id: null, name: "pg", role: "admin" };

beforeAll(async () => {
  url = await preparePostgresTestDatabase("baton_append");
  m = { db: (await import("@/lib/db/client")).db, append: await import("@/lib/audit/append"), verifyAuditChain: (await import("@/lib/audit/verify")).verifyAuditChain };
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await m?.db.$disconnect();
});

describe("audit appender on PostgreSQL", () => {
  beforeEach(async () => {
    // Emptied around the append-only trigger, as the SQLite tests do.
    await admin.query(`ALTER TABLE "AuditEvent" DISABLE TRIGGER USER; DELETE FROM "AuditEvent"; ALTER TABLE "AuditEvent" ENABLE TRIGGER USER; DELETE FROM "ActionIntent"`);
    m.append.forgetAuditTail();
  });

  it("stores each field as the model layer reads it, and settles intents in the group's transaction", async () => {
    const at = new Date("2026-03-04T05:06:07.089Z");
    await m.db.actionIntent.createMany({
      data: ["a1", "b1"].map((id) => ({ id, at, owner: "test", actorName: "pg", actorRole: "admin", action: "session.disconnect", computerId: "c1", computerName: "PC-1" })),
    });
    const [plain, a, b] = await Promise.all([
      m.append.appendAuditEvent({ actor: { id: "u1", name: "pat", role: "technician" }, action: "pg.plain", outcome: "error", computerName: "PC-1", sessionId: "s1", sessionName: "IT1", params: { n: 1, password: "x" }, error: "no", at }),
      m.append.appendSettlingIntents({ actor, action: "pg.a", outcome: "ok" }, ["a1"]),
      // b2 was settled elsewhere (never exists): b writes nothing and keeps b1.
      m.append.appendSettlingIntents({ actor, action: "pg.b", outcome: "ok" }, ["b1", "b2"]),
    ]);
    expect(plain.seq).toBe(1);
    expect(a).toMatchObject({ seq: 2 });
    expect(b).toBeNull();
    expect(await m.db.auditEvent.findUniqueOrThrow({ where: { seq: 1 } })).toMatchObject({
      at,
      actorId: "u1",
      actorName: "pat",
      actorRole: "technician",
      action: "pg.plain",
      outcome: "error",
      computerName: "PC-1",
      sessionId: "s1",
      sessionName: "IT1",
      params: '{"n":1,"password":"[redacted]"}',
      error: "no",
      hash: plain.hash,
    });
    const stored = await admin.query(`SELECT to_char("at", 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM "AuditEvent" WHERE "seq" = 1`);
    expect(stored.rows[0].at).toBe("2026-03-04 05:06:07.089");
    expect((await m.db.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((r) => r.action)).toEqual(["pg.plain", "pg.a"]);
    expect((await m.db.actionIntent.findMany({ select: { id: true } })).map((i) => i.id)).toEqual(["b1"]);
    expect(await m.verifyAuditChain()).toMatchObject({ ok: true, count: 2 });
  });

  it("retries after another writer moved the tail, and commits a bulk of several INSERTs at once", async () => {
    await m.append.appendAuditEvent({ actor, action: "pg.first", outcome: "ok" });
    // Another writer appends #2 behind this process's cached tail (#1).
    const last = await admin.query(`SELECT "hash" FROM "AuditEvent" WHERE "seq" = 1`);
    await admin.query(`INSERT INTO "AuditEvent" ("seq","at","actorName","actorRole","action","outcome","params","prevHash","hash") VALUES (2, now(), 'other', 'admin', 'x', 'ok', '{}', $1, $2)`, [last.rows[0].hash, "f".repeat(64)]);
    const bulk = await m.append.appendAuditEvents(Array.from({ length: 1500 }, (_, i) => ({ actor, action: `pg.bulk${i}`, outcome: "ok" as const })));
    expect(bulk[0].seq).toBe(3);
    expect(bulk[1499].seq).toBe(1502);
    expect(await m.db.auditEvent.findUniqueOrThrow({ where: { seq: 3 } })).toMatchObject({ prevHash: "f".repeat(64), action: "pg.bulk0" });
    expect(await m.db.auditEvent.count()).toBe(1502);
  });
});
