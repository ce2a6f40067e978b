import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

const url = prepareTestDatabase();
const { appendAuditEvent } = await import("@/lib/audit/append");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { db } = await import("@/lib/db/client");

const actor = { id: null, name: "tester", role: "admin" };
// Tampering goes around the app, straight to the file, as an attacker with disk access would.
const raw = () => new Database(url.replace(/^file:/, ""));

describe("audit hash chain", () => {
  beforeEach(async () => {
    await db.auditEvent.deleteMany();
    for (let i = 1; i <= 5; i++) await appendAuditEvent({ actor, action: `test.step${i}`, outcome: "ok", params: { i } });
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

  it("keeps one chain under concurrent appends", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendAuditEvent({ actor, action: `race.${i}`, outcome: "ok" })));
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 25 });
  });
});
