import path from "node:path";
import { z } from "zod";

// Every variable Baton reads, validated once. A bad value stops the process at start with a
// message that names the variable; nothing else reads process.env for these.
export const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, "must be a file: URL (SQLite) or a postgres:// URL")
    .default("file:./data/baton.db"),
  BATON_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BATON_DEMO: z.enum(["0", "1"]).default("0"),
  BATON_DEMO_AGENT_PORT: z.coerce.number().int().min(1024).max(65000).default(5985),
  BATON_COOKIE_SECURE: z.enum(["0", "1"]).default("0"),
  BATON_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  // Audit integrity (docs/security.md, "Audit integrity"): the secret keyring (HMAC keys and
  // Ed25519 signing keys) and the directory of signed checkpoints, both outside the database.
  BATON_AUDIT_KEY_FILE: z.string().min(1).optional(),
  BATON_AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
  BATON_AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  BATON_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});
export type TEnv = z.infer<typeof ZEnv>;

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): TEnv {
  // Empty strings mean "unset", as shells and .env files commonly produce them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = ZEnv.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

// What the console process needs beyond parsing; checked once at start (not at build time).
export function assertRuntimeEnv(env: TEnv): void {
  const missing: string[] = [];
  if (!env.BATON_SECRET) missing.push("  BATON_SECRET: required (at least 32 characters)");
  if (!auditKeysMayBeGenerated(env)) {
    // In production the audit keys are made on purpose (npm run audit:keys -- init) and kept
    // where the operator chose, never silently generated beside the database.
    if (!env.BATON_AUDIT_KEY_FILE) missing.push("  BATON_AUDIT_KEY_FILE: required in production (path to the audit keyring; create it with npm run audit:keys -- init)");
    if (!env.BATON_AUDIT_CHECKPOINT_DIR) missing.push("  BATON_AUDIT_CHECKPOINT_DIR: required in production (directory for signed audit checkpoints, outside the database)");
  }
  if (missing.length) throw new EnvError(`Invalid environment:\n${missing.join("\n")}`);
}

/** Development and demo consoles make their own audit keys on first start; production does not. */
export const auditKeysMayBeGenerated = (env: TEnv) => env.NODE_ENV !== "production" || env.BATON_DEMO === "1";

/** Where the audit keyring and checkpoints live: the configured paths, else under data/. */
export function auditPaths(env: TEnv): { keyFile: string; checkpointDir: string } {
  return {
    keyFile: path.resolve(env.BATON_AUDIT_KEY_FILE ?? "data/audit-keys.json"),
    checkpointDir: path.resolve(env.BATON_AUDIT_CHECKPOINT_DIR ?? "data/audit-checkpoints"),
  };
}

let cached: TEnv | undefined;
export function env(): TEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);
