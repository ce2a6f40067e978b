import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

const url = prepareTestDatabase();
const { appendAuditEvent, forgetAuditTail } = await import("@/lib/audit/append");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { db } = await import("@/lib/db/client");

const actor = { id: null, name: "tester", role: "admin" };
// Tampering goes around the app, straight to the file, as an attacker with disk access would:
// first removing the append-only triggers, which the database otherwise enforces.
const raw = () => {
  const d = new Database(url.replace(/^file:/, ""));
  d.exec('DROP TRIGGER IF EXISTS "AuditEvent_no_update"; DROP TRIGGER IF EXISTS "AuditEvent_no_delete";');
  return d;
};

describe("audit hash chain", () => {
  beforeEach(async () => {
    const d = raw();
    d.exec('DELETE FROM "AuditEvent"');
    d.close();
    forgetAuditTail();
    for (let i = 1; i <= 5; i++) await appendAuditEvent({ actor, action: `test.step${i}`, outcome: "ok", params: { i } });
  });

  it("is refused by the database when edited or deleted through the app's own client", async () => {
    // Fresh triggers for this check, exactly as the migration defines them.
    const sql = fs.readFileSync(path.resolve(import.meta.dirname, "../../prisma/migrations/20261124070000_audit_append_only/migration.sql"), "utf8");
    const d = new Database(url.replace(/^file:/, ""));
    d.exec(sql);
    d.close();
    // The SQLite adapter reports the trigger's RAISE(ABORT) as a constraint violation.
    await expect(db.auditEvent.updateMany({ data: { outcome: "refused" } })).rejects.toThrow(/constraint/i);
    await expect(db.auditEvent.deleteMany()).rejects.toThrow(/constraint/i);
    expect(await db.auditEvent.count({ where: { outcome: "ok" } })).toBe(5);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 5 });
  });

  it("verifies an intact chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 5 });
  });

  it("links each event to the previous one", async () => {
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
  });

  it("names an edited event", async () => {
    const d = raw();
    d.prepare("UPDATE AuditEvent SET outcome = 'refused' WHERE seq = 3").run();
    d.close();
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining("modified") });
  });

  it("names a deleted event", async () => {
    const d = raw();
    d.prepare("DELETE FROM AuditEvent WHERE seq = 2").run();
    d.close();
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringContaining("missing") });
  });

  it("names reordered events even when seq numbers are swapped to look continuous", async () => {
    const d = raw();
    d.exec("UPDATE AuditEvent SET seq = 100 WHERE seq = 4; UPDATE AuditEvent SET seq = 4 WHERE seq = 3; UPDATE AuditEvent SET seq = 3 WHERE seq = 100;");
    d.close();
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it("does not fork the chain when another writer moved the tail behind this process's back", async () => {
    // Another console instance appends #6 directly; this process still caches #5 as the tail.
    const d = raw();
    const last = d.prepare('SELECT "hash" FROM "AuditEvent" WHERE "seq" = 5').get() as { hash: string };
    d.prepare(`INSERT INTO "AuditEvent" ("seq","at","actorName","actorRole","action","outcome","params","prevHash","hash") VALUES (6, ?, 'other', 'admin', 'x', 'ok', '{}', ?, ?)`).run(
      new Date().toISOString(),
      last.hash,
      "f".repeat(64),
    );
    d.close();
    const { seq } = await appendAuditEvent({ actor, action: "after.other", outcome: "ok" });
    expect(seq).toBe(7);
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(rows[6].prevHash).toBe(rows[5].hash);
  });

  it("keeps one chain under concurrent appends", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendAuditEvent({ actor, action: `race.${i}`, outcome: "ok" })));
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 25 });
  });
});
