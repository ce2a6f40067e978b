import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Points this test process at a fresh, migrated SQLite file. Call before importing anything that
// touches the database (use dynamic imports after it).
export function prepareTestDatabase(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-test-db-"));
  return useTestDatabase(`file:${path.join(dir, "test.db")}`, dir);
}

/**
 * Points this test process at the database `url` and migrates it: DATABASE_URL, a silent log, and
 * the audit keyring and checkpoints (they live outside the database) in `dir`, per test file.
 */
export function useTestDatabase(url: string, dir: string): string {
  process.env.DATABASE_URL = url;
  process.env.LOG_LEVEL = "silent";
  process.env.BATON_AUDIT_KEY_FILE = path.join(dir, "audit-keys.json");
  process.env.BATON_AUDIT_CHECKPOINT_DIR = path.join(dir, "audit-checkpoints");
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], {
    cwd: path.resolve(import.meta.dirname, "../.."),
    env: { ...process.env, DATABASE_URL: url },
    stdio: "pipe",
  });
  return url;
}
