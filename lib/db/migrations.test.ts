import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgresDatabase } from "@/lib/testing/shared-services";
import { sessionNameKey } from "@/lib/dto/sessions";

// The migration path users run at start (scripts/prisma/migrate.mjs deploy), on both databases.
const root = path.resolve(import.meta.dirname, "../..");
const migrate = (url: string, cmd: "deploy" | "status") =>
  execFileSync("node", ["scripts/prisma/migrate.mjs", cmd], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
    encoding: "utf8",
  });

type Shape = Record<string, string[]>; // table -> sorted column names

const AUDIT_ROW = `INSERT INTO "AuditEvent" ("seq", "at", "actorName", "actorRole", "action", "outcome", "params", "prevHash", "hash")
  VALUES (1, CURRENT_TIMESTAMP, 'a', 'admin', 'x', 'ok', '{}', '0', '1')`;

describe("migrations", () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-mig-"));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("keeps the PostgreSQL schema generated from the SQLite one", () => {
    expect(() =>
      execFileSync("node", ["scripts/prisma/sync-postgres-schema.mjs", "--check"], { cwd: root, stdio: "pipe" }),
    ).not.toThrow();
  });

  it("creates the same tables and columns on SQLite and PostgreSQL from scratch", { timeout: 120_000 }, async () => {
    const file = path.join(tmp, "fresh.db");
    expect(migrate(`file:${file}`, "deploy")).toMatch(/Applied: \d+_init, \d+_audit_append_only/);
    expect(migrate(`file:${file}`, "deploy")).toMatch(/No pending migrations/);

    const writable = new Database(file);
    writable.exec(AUDIT_ROW);
    expect(() => writable.exec(`UPDATE "AuditEvent" SET "outcome" = 'refused'`)).toThrow(/append-only: UPDATE refused/);
    expect(() => writable.exec(`DELETE FROM "AuditEvent"`)).toThrow(/append-only: DELETE refused/);
    writable.close();
    const sqlite = new Database(file, { readonly: true });
    const sqliteShape: Shape = {};
    const tables = sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const cols = sqlite.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[];
      sqliteShape[name] = cols.map((c) => c.name).sort();
    }
    const sqliteIndexes = (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    )
      .map((r) => r.name)
      .sort();
    sqlite.close();

    const pgUrl = await createTestPostgresDatabase("baton_fresh");
    expect(migrate(pgUrl, "deploy")).toMatch(/Applied: \d+_init, \d+_audit_append_only/);
    expect(() => migrate(pgUrl, "status")).not.toThrow();

    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const cols = await client.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema='public' AND table_name <> '_prisma_migrations'",
    );
    const pgShape: Shape = {};
    for (const r of cols.rows) (pgShape[r.table_name] ??= []).push(r.column_name);
    for (const k of Object.keys(pgShape)) pgShape[k].sort();
    await client.query(AUDIT_ROW);
    await expect(client.query(`UPDATE "AuditEvent" SET "outcome" = 'refused'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(client.query(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(client.query(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const idx = await client.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname='public' AND indexname NOT LIKE '%_pkey' AND tablename <> '_prisma_migrations'",
    );
    await client.end();

    expect(Object.keys(sqliteShape).sort()).toEqual(
      ["AccessToken", "ActionIntent", "AuditEvent", "AuthSession", "BulkJob", "BulkJobTarget", "Computer", "Handoff", "Session", "SessionCommand", "SessionConfiguration", "SessionEvent", "SignInThrottle", "User"].sort(),
    );
    expect(pgShape).toEqual(sqliteShape);
    expect(idx.rows.map((r) => r.indexname).sort()).toEqual(sqliteIndexes);
    // The listing and audit filters are backed by indexes on both.
    for (const name of ["Session_computerName_agentSessionId_idx", "Session_state_computerName_agentSessionId_idx", "Session_nameKey_id_idx", "Session_ownerName_id_idx", "Session_ownerId_computerName_agentSessionId_idx", "Session_holderId_computerName_agentSessionId_idx", "AuditEvent_at_idx", "AuditEvent_actorId_at_idx", "AuditEvent_sessionId_at_idx", "BulkJob_actorId_startedAt_idx"]) {
      expect(sqliteIndexes).toContain(name);
    }
  });

  it("rewrites stored session name keys into the form sessionNameKey gives, on both databases", { timeout: 60_000 }, async () => {
    const names = ["Build_01", "Pct%Done", "C:\\Temp\\x", "Mixed_%\\All", "Plain-Name"];
    const migration = (dir: string) => fs.readFileSync(path.join(root, dir, "20261201151000_session_name_key_like_safe/migration.sql"), "utf8");

    const sqlite = new Database(":memory:");
    sqlite.exec(`CREATE TABLE "Session" ("name" TEXT NOT NULL, "nameKey" TEXT NOT NULL)`);
    for (const n of names) sqlite.prepare(`INSERT INTO "Session" VALUES (?, ?)`).run(n, n.toLowerCase());
    sqlite.exec(migration("prisma/migrations"));
    const fromSqlite = sqlite.prepare(`SELECT "name", "nameKey" FROM "Session"`).all() as { name: string; nameKey: string }[];
    sqlite.close();

    const client = new pg.Client({ connectionString: await createTestPostgresDatabase("baton_name_keys") });
    await client.connect();
    await client.query(`CREATE TABLE "Session" ("name" TEXT NOT NULL, "nameKey" TEXT NOT NULL)`);
    for (const n of names) await client.query(`INSERT INTO "Session" VALUES ($1, $2)`, [n, n.toLowerCase()]);
    await client.query(migration("prisma/postgres/migrations"));
    const fromPg = (await client.query<{ name: string; nameKey: string }>(`SELECT "name", "nameKey" FROM "Session"`)).rows;
    await client.end();

    for (const rows of [fromSqlite, fromPg]) {
      expect(rows).toHaveLength(names.length);
      for (const r of rows) expect(r.nameKey).toBe(sessionNameKey(r.name));
    }
    // The stand-ins are really there: no LIKE wildcard or escape is left in a stored key.
    expect(fromPg.map((r) => r.nameKey).join("")).not.toMatch(/[_%\\]/);
  });
});
