import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertRuntimeEnv, auditPaths, parseEnv } from "@/lib/env";

describe("env", () => {
  it("fills defaults for a bare environment", () => {
    expect(parseEnv({})).toMatchObject({ DATABASE_URL: "file:./data/baton.db", HOST: "127.0.0.1", PORT: 3000 });
  });

  it("several consoles: REDIS_URL must be a redis URL and needs a shared PostgreSQL database", () => {
    const secret = "s".repeat(32);
    expect(() => parseEnv({ REDIS_URL: "http://redis:6379" })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseEnv({ BATON_REDIS_PREFIX: "has space" })).toThrow(/BATON_REDIS_PREFIX/);
    expect(() => assertRuntimeEnv(parseEnv({ BATON_SECRET: secret, REDIS_URL: "redis://127.0.0.1:6379" }))).toThrow(/REDIS_URL: several console instances need one shared database/);
    const ok = parseEnv({ BATON_SECRET: secret, REDIS_URL: "redis://127.0.0.1:6379", DATABASE_URL: "postgresql://u:p@db/baton" });
    expect(() => assertRuntimeEnv(ok)).not.toThrow();
    expect(ok).toMatchObject({ BATON_REDIS_PREFIX: "baton", BATON_DEMO_FLEET: "1" });
  });

  it("names every bad variable", () => {
    const run = () => parseEnv({ PORT: "99999", DATABASE_URL: "mysql://x" });
    expect(run).toThrow(/DATABASE_URL: must be a file: URL/);
    expect(run).toThrow(/PORT: Too big/);
  });

  it("requires a long enough secret to run", () => {
    expect(() => parseEnv({ BATON_SECRET: "short" })).toThrow(/BATON_SECRET: must be at least 32 characters/);
    expect(() => assertRuntimeEnv(parseEnv({}))).toThrow(/BATON_SECRET: required/);
  });

  it("requires the audit keyring and checkpoint paths in production only", () => {
    const secret = "x".repeat(32);
    const prod = () => assertRuntimeEnv(parseEnv({ NODE_ENV: "production", BATON_SECRET: secret }));
    expect(prod).toThrow(/BATON_AUDIT_KEY_FILE: required in production/);
    expect(prod).toThrow(/BATON_AUDIT_CHECKPOINT_DIR: required in production/);
    expect(() => assertRuntimeEnv(parseEnv({ NODE_ENV: "production", BATON_SECRET: secret, BATON_AUDIT_KEY_FILE: "/k.json", BATON_AUDIT_CHECKPOINT_DIR: "/cp" }))).not.toThrow();
    // Development and the demo make their own under data/.
    expect(() => assertRuntimeEnv(parseEnv({ NODE_ENV: "production", BATON_DEMO: "1", BATON_SECRET: secret }))).not.toThrow();
    expect(auditPaths(parseEnv({}))).toEqual({ keyFile: path.resolve("data/audit-keys.json"), checkpointDir: path.resolve("data/audit-checkpoints") });
    expect(() => parseEnv({ BATON_AUDIT_CHECKPOINT_EVERY: "0" })).toThrow(/BATON_AUDIT_CHECKPOINT_EVERY: Too small/);
  });
});
