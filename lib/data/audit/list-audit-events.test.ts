import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";

prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { eventHash, GENESIS_HASH } = await import("@/lib/audit/chain");
const { appendAuditEvent } = await import("@/lib/audit/append");
const { listAuditEvents } = await import("@/lib/data/audit/list-audit-events");
const { auditEventsForExport, auditCsvHeader, auditCsvRow } = await import("@/lib/data/audit/export-audit-events");
const { listAuditActions } = await import("@/lib/data/audit/list-audit-actions");
const { verifyAuditTrail } = await import("@/lib/data/audit/verify-audit-trail");
const { parseAuditQuery } = await import("@/lib/data/audit/schemas");

const auditor: TSessionUser = { id: "u-aud", username: "audrey", displayName: "Audrey", role: "auditor", team: null };
const technician: TSessionUser = { id: "u-tech", username: "tess", displayName: "Tess", role: "technician", team: null };

type TSeeded = {
  seq: number;
  at: Date;
  actorId: string | null;
  actorName: string;
  action: string;
  outcome: string;
  computerName: string | null;
  sessionId: string | null;
  sessionName: string | null;
};
const seeded: TSeeded[] = [];

const ACTIONS = ["session.run", "session.run", "session.new", "session.disconnect", "auth.sign-in"];
const T0 = Date.parse("2026-11-20T00:00:00.000Z");
const SESSION_ID = "cm0000000000000000000tsk1";

// Appends through the chain's own definition with chosen timestamps, so time filters and ties
// (several events in one millisecond) can be tested; the chain stays valid.
async function seed() {
  const users = [
    { id: "u-tess", username: "tess" },
    { id: "u-mark", username: "mark" },
  ];
  for (const u of users) await db.user.create({ data: { ...u, displayName: u.username, role: "technician", passwordHash: "x" } });
  const computer = await db.computer.create({ data: { name: "Srv1", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
  await db.session.create({
    data: {
      id: SESSION_ID,
      computerId: computer.id,
      computerName: computer.name,
      agentSessionId: 1,
      instanceId: "inst-1",
      name: "ITTask",
      nameKey: "ittask",
      configurationName: "Microsoft.PowerShell",
      ownerId: "u-tess",
      ownerName: "tess",
      state: "Disconnected",
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block",
    },
  });

  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= 157; i++) {
    // Every fifth event shares the previous one's millisecond.
    const at = new Date(T0 + (i - (i % 5 === 0 ? 1 : 0)) * 3_600_000);
    const who = i % 7 === 0 ? { id: null, name: "ghost", role: "none" } : i % 2 ? { id: "u-tess", name: "tess", role: "technician" } : { id: "u-mark", name: "mark", role: "manager" };
    const onSession = i % 3 === 0;
    const fields = {
      seq: i,
      at,
      actorId: who.id,
      actorName: who.name,
      actorRole: who.role,
      action: ACTIONS[i % ACTIONS.length],
      outcome: i % 11 === 0 ? "error" : i % 4 === 0 ? "refused" : "ok",
      computerName: i % 2 ? "Srv1" : "Srv2",
      sessionId: onSession ? SESSION_ID : null,
      sessionName: onSession ? "ITTask" : i % 10 === 1 ? "ITTask" : null, // a refused New names the session without an id
      params: JSON.stringify({ i, note: i % 13 === 0 ? '=cmd|" /C calc"!A0' : "plain, text" }),
      error: i % 4 === 0 ? "FORBIDDEN: no" : null,
    };
    const hash = eventHash(prevHash, fields);
    await db.auditEvent.create({ data: { ...fields, prevHash, hash } });
    prevHash = hash;
    seeded.push(fields);
  }
}

const newestFirst = (rows: TSeeded[]) => [...rows].sort((a, b) => b.at.getTime() - a.at.getTime() || b.seq - a.seq).map((r) => r.seq);

async function walkOlder(query: Record<string, unknown>): Promise<number[][]> {
  const pages: number[][] = [];
  let before: number | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await listAuditEvents({ actor: auditor, query: { ...query, before } });
    pages.push(page.rows.map((r) => r.seq));
    if (page.older === null) return pages;
    before = page.older;
  }
  throw new Error("paging did not end");
}

describe("listAuditEvents", () => {
  beforeAll(seed);

  it("returns the newest page first, with a cursor to older events only", async () => {
    const page = await listAuditEvents({ actor: auditor, query: { size: 25 } });
    expect(page.rows.map((r) => r.seq)).toEqual(newestFirst(seeded).slice(0, 25));
    expect(page.newer).toBeNull();
    expect(page.older).toBe(page.rows[24].seq);
    expect(page.rows[0]).toMatchObject({ seq: 157, actorName: "tess", actorRole: "technician", computerName: "Srv1", at: seeded[156].at.toISOString() });
  });

  it("pages through everything with no gap and no duplicate, even across equal timestamps", async () => {
    const pages = await walkOlder({ size: 25 });
    expect(pages.map((p) => p.length)).toEqual([25, 25, 25, 25, 25, 25, 7]);
    expect(pages.flat()).toEqual(newestFirst(seeded));
    expect(new Set(pages.flat()).size).toBe(157);
  });

  it("walks back with Newer to exactly the pages it came through", async () => {
    const forward = await walkOlder({ size: 25, outcome: "ok" });
    const back: number[][] = [forward[forward.length - 1]];
    let after = forward[forward.length - 1][0];
    for (;;) {
      const page = await listAuditEvents({ actor: auditor, query: { size: 25, outcome: "ok", after } });
      back.unshift(page.rows.map((r) => r.seq));
      if (page.newer === null) break;
      after = page.newer;
    }
    // Newer pages are aligned to the page left, so the first one back may be shorter.
    expect(back.flat()).toEqual(forward.flat());
    expect(back.slice(1)).toEqual(forward.slice(1));
  });

  it.each([
    ["action", { action: "session.run" }, (e: TSeeded) => e.action === "session.run"],
    ["outcome", { outcome: "refused" }, (e: TSeeded) => e.outcome === "refused"],
    ["computer", { computer: "Srv2" }, (e: TSeeded) => e.computerName === "Srv2"],
    ["actor who is a user (by id)", { actor: "mark" }, (e: TSeeded) => e.actorId === "u-mark"],
    ["actor who is no user (by recorded name)", { actor: "ghost" }, (e: TSeeded) => e.actorName === "ghost"],
    ["session by id", { session: SESSION_ID }, (e: TSeeded) => e.sessionId === SESSION_ID],
    ["session by name, any case, with refused News that recorded only the name", { session: "ittask" }, (e: TSeeded) => e.sessionId === SESSION_ID],
    ["session by name as recorded", { session: "ITTask" }, (e: TSeeded) => e.sessionId === SESSION_ID || e.sessionName === "ITTask"],
    ["action and outcome", { action: "session.run", outcome: "ok" }, (e: TSeeded) => e.action === "session.run" && e.outcome === "ok"],
    [
      "actor and time range (to includes its whole day)",
      { actor: "tess", from: "2026-11-21T06:00", to: "2026-11-23" },
      (e: TSeeded) => e.actorId === "u-tess" && e.at >= new Date("2026-11-21T06:00Z") && e.at < new Date("2026-11-24T00:00Z"),
    ],
    ["time range at minute precision", { from: "2026-11-22T10:00", to: "2026-11-22T12:00" }, (e: TSeeded) => e.at >= new Date("2026-11-22T10:00Z") && e.at < new Date("2026-11-22T12:01Z")],
  ])("filters by %s, server-side, across pages", async (_name, filters, match) => {
    const expected = newestFirst(seeded.filter(match));
    expect(expected.length).toBeGreaterThan(0);
    const pages = await walkOlder({ ...filters, size: 25 });
    expect(pages.flat()).toEqual(expected);
  });

  it("finds nothing for a name nobody used, and says so with no cursors", async () => {
    expect(await listAuditEvents({ actor: auditor, query: { actor: "nobody" } })).toEqual({ rows: [], older: null, newer: null });
  });

  it("names a cursor that points at no event", async () => {
    await expect(listAuditEvents({ actor: auditor, query: { before: 99_999 } })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("“before”") });
  });

  it("is for auditors and admins only", async () => {
    await expect(listAuditEvents({ actor: technician })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listAuditEvents({ actor: { ...auditor, role: "admin" } })).resolves.toMatchObject({ rows: expect.any(Array) });
  });
});

describe("auditEventsForExport", () => {
  it("yields the whole filtered set in bounded batches, newest first, with both hashes", async () => {
    const parsed = parseAuditQuery({ action: "session.run" });
    if (!parsed.ok) throw new Error("bad query");
    const batches: number[] = [];
    const seqs: number[] = [];
    for await (const batch of auditEventsForExport({ actor: auditor, filters: parsed.query, batch: 7 })) {
      batches.push(batch.length);
      seqs.push(...batch.map((r) => r.seq));
      for (const r of batch) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const expected = newestFirst(seeded.filter((e) => e.action === "session.run"));
    expect(seqs).toEqual(expected);
    expect(Math.max(...batches)).toBe(7);
  });

  it("writes CSV rows a spreadsheet cannot execute", async () => {
    const first = await auditEventsForExport({ actor: auditor, filters: {}, batch: 200 }).next();
    if (first.done) throw new Error("no events");
    const batch = first.value;
    expect(auditCsvHeader()).toBe('"seq","at","actorId","actorName","actorRole","action","outcome","computerName","sessionId","sessionName","params","error","prevHash","hash","keyId","mac"\r\n');
    const row13 = auditCsvRow(batch.find((r) => r.seq === 13)!);
    expect(row13.startsWith(`13,"${seeded[12].at.toISOString()}","u-tess","tess"`)).toBe(true);
    expect(row13).toContain('"{""i"":13,""note"":""=cmd|\\"" /C calc\\""!A0""}"');
    const formula = auditCsvRow({ ...batch[0], error: "=1+1", actorName: "@me" });
    expect(formula).toContain(`"'=1+1"`);
    expect(formula).toContain(`"'@me"`);
  });

  it("refuses other roles", async () => {
    await expect(auditEventsForExport({ actor: technician, filters: {} }).next()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("listAuditActions", () => {
  it("offers the console's actions and any other the trail holds", async () => {
    await appendAuditEvent({ actor: { id: null, name: "agent", role: "system" }, action: "agent.idle-expired", outcome: "ok" });
    const actions = await listAuditActions({ actor: auditor });
    expect(actions).toEqual([...actions].sort());
    expect(actions).toEqual(expect.arrayContaining(["agent.idle-expired", "auth.sign-in", "session.run", "user.create"]));
  });
});

describe("verifyAuditTrail", () => {
  it("verifies the whole chain once for callers that ask together", async () => {
    const [a, b] = await Promise.all([verifyAuditTrail({ actor: auditor }), verifyAuditTrail({ actor: auditor })]);
    expect(a).toMatchObject({ ok: true, count: 158 });
    expect(b).toBe(a);
    expect(Date.parse(a.checkedAt)).not.toBeNaN();
    await expect(verifyAuditTrail({ actor: technician })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
