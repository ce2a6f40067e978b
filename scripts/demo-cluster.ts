/**
 * `npm run demo:cluster`: two console instances sharing one PostgreSQL, one Redis and the demo
 * fleet, as several consoles run behind a load balancer. PostgreSQL and Redis are Debian's
 * packages (postgresql, redis-server), started on free loopback ports in a temporary directory
 * and removed on exit: nothing of this demo outlives it.
 *
 * Instance A starts the demo fleet and registers it; instance B joins (BATON_DEMO_FLEET=0) and
 * dials the same agents. Sign in on either URL; an action on one shows live on the other.
 * Env: PORT (first console port, default 3000; the second is PORT+1), BATON_DEMO_AGENT_PORT.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findPostgresBin, startTestPostgres } from "../lib/testing/postgres";
import { findRedisServer, startTestRedis } from "../lib/testing/redis";

const root = path.resolve(import.meta.dirname, "..");
const firstPort = Number(process.env.PORT ?? 3000);
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
}

/** Starts one console; resolves when it listens. Its output goes to this terminal, prefixed. */
function startInstance(label: string, env: Record<string, string>): Promise<void> {
  const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["server.ts"], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const relay = (d: Buffer) => {
      const text = d.toString();
      for (const line of text.split("\n")) if (line.trim()) process.stdout.write(`[${label}] ${line}\n`);
      if (text.includes("Baton console on")) resolve();
    };
    child.stdout!.on("data", relay);
    child.stderr!.on("data", relay);
    child.once("exit", (code, signal) => {
      reject(new Error(`console ${label} exited (${signal ?? code}) before it listened`));
      if (!stopping) {
        console.error(`console ${label} exited (${signal ?? code}); stopping the demo`);
        shutdown(1);
      }
    });
  });
}

async function main() {
  const missing = [...(findPostgresBin() ? [] : ["postgresql"]), ...(findRedisServer() ? [] : ["redis-server"])];
  if (missing.length) throw new Error(`install Debian's ${missing.join(" and ")} first: apt-get install -y --no-install-recommends ${missing.join(" ")}`);
  if (!fs.existsSync(path.join(root, ".next/BUILD_ID"))) {
    console.log("Building the console (npx next build)...");
    execFileSync("npx", ["next", "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  }
  const [postgres, redis] = await Promise.all([startTestPostgres(), startTestRedis()]);
  cleanups.push(() => redis.stop(), () => postgres.stop());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-demo-cluster-"));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // The app role may create databases (it needs that for migrations' shadow database).
  const databaseUrl = await postgres.createDatabase();
  console.log(`PostgreSQL: ${databaseUrl.replace(/:[^:@/]+@/, ":***@")}\nRedis: ${redis.url}`);

  // What every instance of one deployment shares: database, Redis, secret, audit keyring and checkpoints.
  const shared = {
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    BATON_DEMO: "1",
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    BATON_SECRET: randomBytes(32).toString("hex"),
    BATON_AUDIT_KEY_FILE: path.join(tmp, "audit-keys.json"),
    BATON_AUDIT_CHECKPOINT_DIR: path.join(tmp, "audit-checkpoints"),
    HOST: "127.0.0.1",
  };
  // A first: it applies the migrations, makes the audit keyring and starts the demo fleet.
  await startInstance("A", { ...shared, PORT: String(firstPort) });
  await startInstance("B", { ...shared, PORT: String(firstPort + 1), BATON_DEMO_FLEET: "0" });
  console.log(`\nTwo Baton console instances share one fleet:\n  A  http://127.0.0.1:${firstPort}\n  B  http://127.0.0.1:${firstPort + 1}\nCtrl-C stops both, the fleet, PostgreSQL and Redis.\n`);
}

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  stopAll();
  // The consoles stop their demo agents and checkpoint the audit trail first.
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r))));
  void Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 8000))]).finally(() => {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch (err) {
        console.error((err as Error).message);
      }
    }
    process.exit(code);
  });
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

main().catch((err) => {
  console.error(`demo:cluster: ${(err as Error).message}`);
  shutdown(1);
});
