// The run's shared PostgreSQL and Redis (started once by lib/testing/global-services.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { useTestDatabase } from "@/lib/testing/test-db";

/** Creates a fresh database (owned by the `baton` role) in the run's PostgreSQL; returns its URL. */
export async function createTestPostgresDatabase(prefix: string): Promise<string> {
  const admin = inject("postgresAdminUrl");
  if (!admin) throw new Error("PostgreSQL is not available for this test run (apt-get install postgresql)");
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${crypto.randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}" OWNER baton`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.username = "baton";
  url.password = "baton";
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Points this test process at a fresh, migrated PostgreSQL database (the counterpart of
 * prepareTestDatabase for SQLite): DATABASE_URL, a silent log, and an audit keyring and
 * checkpoints of its own. Call before importing anything that touches the database.
 */
export async function preparePostgresTestDatabase(prefix: string): Promise<string> {
  return useTestDatabase(await createTestPostgresDatabase(prefix), fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-audit-`)));
}

/** The run's Redis URL, with a key prefix unique to the caller so suites never see each other. */
export function testRedis(prefix: string): { url: string; keyPrefix: string } {
  const url = inject("redisUrl");
  if (!url) throw new Error("Redis is not available for this test run (apt-get install redis-server)");
  return { url, keyPrefix: `${prefix}-${crypto.randomBytes(4).toString("hex")}` };
}
