import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgresDatabase } from "@/lib/testing/shared-services";

// The throttle on PostgreSQL, where attempts really run in parallel on separate connections (as
// they do from several console instances): the compare-and-set must still let exactly one
// guess through, and the lockout must be the same for every connection.
type Mods = {
  db: typeof import("@/lib/db/client").db;
  attemptSignIn: typeof import("@/lib/auth/sign-in").attemptSignIn;
  hashPassword: typeof import("@/lib/auth/password").hashPassword;
};
let m: Mods;
const PASSWORD = "correct-horse-battery";

beforeAll(async () => {
  process.env.DATABASE_URL = await createTestPostgresDatabase("baton_throttle");
  process.env.LOG_LEVEL = "silent";
  execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { cwd: path.resolve(import.meta.dirname, "../.."), env: { ...process.env }, stdio: "pipe" });
  m = {
    db: (await import("@/lib/db/client")).db,
    attemptSignIn: (await import("@/lib/auth/sign-in")).attemptSignIn,
    hashPassword: (await import("@/lib/auth/password")).hashPassword,
  };
  await m.db.user.create({ data: { username: "pgvictim", displayName: "PG", role: "technician", passwordHash: await m.hashPassword(PASSWORD) } });
}, 120_000);

afterAll(async () => {
  await m?.db.$disconnect();
});

describe("sign-in throttle on PostgreSQL", () => {
  it("parallel guesses on separate connections: exactly one is checked; then the lockout holds for the right password", async () => {
    const t0 = Date.parse("2026-11-30T10:00:00.000Z");
    const burst = await Promise.all(
      Array.from({ length: 16 }, (_, i) => m.attemptSignIn({ username: "pgvictim", password: `guess-${i}`, address: `198.51.100.${i}`, now: new Date(t0) })),
    );
    expect(burst.filter((r) => !r.ok && r.error === "Wrong username or password.")).toHaveLength(1);
    expect((await m.db.signInThrottle.findUniqueOrThrow({ where: { key: "account:pgvictim" } })).failures).toBe(1);

    for (const s of [1, 3, 7, 15]) await m.attemptSignIn({ username: "pgvictim", password: "wrong-again", address: "198.51.100.1", now: new Date(t0 + s * 1000) });
    const during = await m.attemptSignIn({ username: "pgvictim", password: PASSWORD, address: "198.51.100.99", now: new Date(t0 + 60_000) });
    expect(during).toMatchObject({ ok: false, retryAt: new Date(t0 + 15_000 + 15 * 60_000) });
    expect((during as { error: string }).error).toContain("this account is locked. Try again in 15 minutes");
    const lockouts = await m.db.auditEvent.count({ where: { action: "auth.lockout", actorName: "pgvictim" } });
    expect(lockouts).toBe(1);
  });
});
