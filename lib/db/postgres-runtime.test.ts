import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preparePostgresTestDatabase } from "@/lib/testing/shared-services";
import type { TSessionUser } from "@/lib/auth/session-store";

// The same data paths the console runs on SQLite, on a real PostgreSQL server: the audit chain
// under concurrency, the append-only triggers, session ingest and viewer-relative listing.
let url: string;
type Mods = {
  db: typeof import("@/lib/db/client").db;
  appendAuditEvent: typeof import("@/lib/audit/append").appendAuditEvent;
  verifyAuditChain: typeof import("@/lib/audit/verify").verifyAuditChain;
  writeAuditCheckpoint: typeof import("@/lib/audit/checkpoint").writeAuditCheckpoint;
  auditKeyring: typeof import("@/lib/audit/keys").auditKeyring;
  eventHash: typeof import("@/lib/audit/chain").eventHash;
  ingestSession: typeof import("@/lib/fleet/ingest").ingestSession;
  listSessions: typeof import("@/lib/data/sessions/list-sessions").listSessions;
  ZSessionFilters: typeof import("@/lib/dto/sessions").ZSessionFilters;
};
let m: Mods;

beforeAll(async () => {
  url = await preparePostgresTestDatabase("baton_rt");
  m = {
    db: (await import("@/lib/db/client")).db,
    appendAuditEvent: (await import("@/lib/audit/append")).appendAuditEvent,
    verifyAuditChain: (await import("@/lib/audit/verify")).verifyAuditChain,
    writeAuditCheckpoint: (await import("@/lib/audit/checkpoint")).writeAuditCheckpoint,
    auditKeyring: (await import("@/lib/audit/keys")).auditKeyring,
    eventHash: (await import("@/lib/audit/chain")).eventHash,
    ingestSession: (await import("@/lib/fleet/ingest")).ingestSession,
    listSessions: (await import("@/lib/data/sessions/list-sessions")).listSessions,
    ZSessionFilters: (await import("@/lib/dto/sessions")).ZSessionFilters,
  };
}, 120_000);

afterAll(async () => {
  await m?.db.$disconnect();
});

describe("on PostgreSQL", () => {
  it("keeps one audit chain under concurrent appends and verifies it", async () => {
    const actor = { id: null, name: "pg", role: "admin" };
    await Promise.all(Array.from({ length: 25 }, (_, i) => m.appendAuditEvent({ actor, action: `pg.${i}`, outcome: "ok", params: { i } })));
    expect(await m.verifyAuditChain()).toMatchObject({ ok: true, count: 25 });
  });

  it("refuses to edit or delete audit rows", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await expect(client.query(`UPDATE "AuditEvent" SET "outcome" = 'refused' WHERE "seq" = 3`)).rejects.toThrow(/append-only/);
    await expect(client.query(`DELETE FROM "AuditEvent" WHERE "seq" = 3`)).rejects.toThrow(/append-only/);
    await client.end();
    expect(await m.verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("stores agent snapshots and lists them with wildcard names and viewer-relative state", async () => {
    const computer = await m.db.computer.create({ data: { name: "PgSrv", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
    const base = {
      configurationName: "Microsoft.PowerShell",
      computerName: "PgSrv",
      reason: null,
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block" as const,
      createdOn: new Date().toISOString(),
      disconnectedOn: null,
      expiresOn: null,
      bufferedBytes: 0,
      bufferSizeBytes: 1 << 20,
      outputBlocked: false,
      droppedBytes: 0,
      totalDroppedBytes: 5_000_000_000,
      outputOffset: 0,
      command: null,
      lastCommand: null,
      cwd: null,
      pid: null,
      cols: 80,
      rows: 24,
    };
    const owner = { id: "u-1", name: "tech" };
    await m.ingestSession({ computerId: computer.id, snapshot: { ...base, id: 1, instanceId: crypto.randomUUID(), name: "ITTask", owner, holder: owner, state: "Opened" } });
    await m.ingestSession({ computerId: computer.id, snapshot: { ...base, id: 2, instanceId: crypto.randomUUID(), name: "UpdateSession", owner, holder: null, state: "Disconnected" } });
    const viewer: TSessionUser = { id: "u-2", username: "boss", displayName: "Boss", role: "manager", team: null };
    const page = await m.listSessions({ actor: viewer, filters: m.ZSessionFilters.parse({ name: "it*" }) });
    expect(page.rows.map((r) => [r.name, r.state, r.availability])).toEqual([["ITTask", "Disconnected", "Busy"]]);
    expect(page.rows[0].totalDroppedBytes).toBe(5_000_000_000);
    const none = await m.listSessions({ actor: viewer, filters: m.ZSessionFilters.parse({ availability: "None" }) });
    expect(none.rows.map((r) => r.name)).toEqual(["UpdateSession"]);
  });

  it("detects a trail rewritten by the database owner, who drops the triggers but holds no audit key", async () => {
    const actor = { id: null, name: "pg", role: "admin" };
    await m.writeAuditCheckpoint();
    const { seq: head } = await m.appendAuditEvent({ actor, action: "pg.after", outcome: "ok" });
    await m.writeAuditCheckpoint();
    expect(await m.verifyAuditChain()).toMatchObject({ ok: true, checkpoints: 2, unanchored: 0 });
    expect(await m.verifyAuditChain({ mode: "since-checkpoint" })).toMatchObject({ ok: true, since: { checkpoint: 2, seq: head }, count: 1 });
    const auditor = { hmacKeys: null, trusted: new Map([...m.auditKeyring().keys].map(([id, k]) => [id, k.publicKey])) };

    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    await owner.query(`ALTER TABLE "AuditEvent" DISABLE TRIGGER USER`);
    // Edit #5 and recompute every later SHA-256 link, as anyone can.
    await owner.query(`UPDATE "AuditEvent" SET "outcome" = 'refused' WHERE "seq" = 5`);
    await owner.query(`UPDATE "AuditEvent" SET "prevHash" = 'p' || "seq", "hash" = 'h' || "seq" WHERE "seq" >= 5`);
    const rows = await m.db.auditEvent.findMany({ where: { seq: { gte: 4 } }, orderBy: { seq: "asc" } });
    let prev = rows[0].hash;
    for (const r of rows.slice(1)) {
      const hash = m.eventHash(prev, r);
      await owner.query(`UPDATE "AuditEvent" SET "prevHash" = $1, "hash" = $2 WHERE "seq" = $3`, [prev, hash, r.seq]);
      prev = hash;
    }
    expect(await m.verifyAuditChain(auditor)).toMatchObject({ ok: false, brokenAt: 25, checkpoint: 1, reason: expect.stringContaining("the chain was re-hashed: event #25 does not match checkpoint 1") });
    expect(await m.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringContaining("MAC does not match") });
    // The routine check reads the newest checkpoint's event (re-hashed) and what follows only.
    expect(await m.verifyAuditChain({ ...auditor, mode: "since-checkpoint" })).toMatchObject({ ok: false, brokenAt: head, checkpoint: 2, count: 0, reason: expect.stringContaining(`the chain was re-hashed: event #${head} does not match checkpoint 2`) });

    // Cutting the re-hashed tail off instead leaves the newest events missing since checkpoint 2.
    await owner.query(`DELETE FROM "AuditEvent" WHERE "seq" >= 5`);
    await owner.end();
    expect(await m.verifyAuditChain(auditor)).toMatchObject({ ok: false, brokenAt: 5, checkpoint: 2, reason: expect.stringContaining(`the newest ${head - 4} events are missing since checkpoint 2`) });
  });
});
