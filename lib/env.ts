import path from "node:path";
import { z } from "zod";

// An origin as a browser sends it: scheme, host and port only ("https://baton.example.com").
const ZOrigin = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !/\/\/.*\/./.test(value);
      return (url.protocol === "http:" || url.protocol === "https:") && bare;
    } catch {
      return false;
    }
  }, "each entry must be an origin such as https://baton.example.com (scheme, host and optional port; no path)")
  .transform((value) => new URL(value).origin);

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
  /** Where the demo fleet keeps its agents' tokens and processes, so a restarted console adopts them. */
  BATON_DEMO_FLEET_DIR: z.string().min(1).default("data/demo-fleet"),
  /** 1: stop the demo agents a previous start left running instead of adopting them (for a fresh database). */
  BATON_DEMO_FLEET_RESET: z.enum(["0", "1"]).default("0"),
  /** Demo mode: `0` uses the computers already registered (another instance started the demo fleet). */
  BATON_DEMO_FLEET: z.enum(["0", "1"]).default("1"),
  /** Several console instances: the Redis they coordinate through (socket.io adapter, ingest leases, bulk jobs, presence). */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
  /** Prefix of every Redis key and channel this console uses (several clusters may share one Redis). */
  BATON_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1-64 letters, digits or _ . : -").default("baton"),
  /** Unset: Secure exactly when every allowed origin is https. */
  BATON_COOKIE_SECURE: z.enum(["0", "1"]).optional(),
  /** Comma-separated origins the browser may use the console from; default its own HOST:PORT URL. */
  BATON_ALLOWED_ORIGINS: z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(ZOrigin).min(1, "must name at least one origin"))
    .optional(),
  /** 1: the console is behind a reverse proxy; the client address is the last X-Forwarded-For entry. */
  BATON_TRUST_PROXY: z.enum(["0", "1"]).default("0"),
  BATON_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  // Audit integrity (docs/security.md, "Audit integrity"): the secret keyring (HMAC keys and
  // Ed25519 signing keys) and the directory of signed checkpoints, both outside the database.
  BATON_AUDIT_KEY_FILE: z.string().min(1).optional(),
  BATON_AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
  BATON_AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  BATON_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** People who may watch one session's terminal at once (read-only watchers). */
  BATON_MAX_WATCHERS_PER_SESSION: z.coerce.number().int().min(1).max(100).default(10),
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
  if (WILDCARD_HOSTS.has(env.HOST) && !env.BATON_ALLOWED_ORIGINS) {
    missing.push(`  BATON_ALLOWED_ORIGINS: required when HOST is ${env.HOST} (name the URL(s) users open, e.g. https://baton.example.com)`);
  }
  if (env.REDIS_URL && !isPostgresUrl(env.DATABASE_URL)) {
    missing.push("  REDIS_URL: several console instances need one shared database: set DATABASE_URL to a postgres:// URL (SQLite is one process's)");
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

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The origins a browser may use the console from: BATON_ALLOWED_ORIGINS, or else the console's
 * own URL (both loopback spellings when it listens on loopback). Everything else is refused.
 */
export function allowedOrigins(e: TEnv): string[] {
  if (e.BATON_ALLOWED_ORIGINS) return e.BATON_ALLOWED_ORIGINS;
  const hostPart = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);
  const hosts = LOOPBACK_HOSTS.has(e.HOST) ? ["127.0.0.1", "localhost", "[::1]"] : WILDCARD_HOSTS.has(e.HOST) ? ["127.0.0.1", "localhost"] : [e.HOST];
  return hosts.map((h) => new URL(`http://${hostPart(h)}:${e.PORT}`).origin);
}

/** Whether the session cookie is Secure (and so `__Host-` prefixed). */
export function cookieSecure(e: TEnv): boolean {
  if (e.BATON_COOKIE_SECURE) return e.BATON_COOKIE_SECURE === "1";
  return allowedOrigins(e).every((o) => o.startsWith("https:"));
}

let cached: TEnv | undefined;
export function env(): TEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);
