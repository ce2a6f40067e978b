// Baton's console process: Next.js and socket.io on one port. Applies migrations, seeds the
// demo accounts in demo mode, then serves. Run with `tsx server.ts` (npm run dev / start).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import next from "next";
import { allowedOrigins, assertRuntimeEnv, EnvError, parseEnv } from "./lib/env";
import { CLIENT_ADDRESS_HEADER, clientAddress, judgeOrigin, refusalMessage, requestFacts } from "./lib/http/origins";
import { invalidUtf8InTarget } from "./lib/protocol/hygiene";

function fail(message: string): never {
  console.error(`baton: ${message}`);
  process.exit(1);
}

// A development secret is made once and kept beside the embedded database; production must set one.
function ensureDevSecret() {
  if (process.env.BATON_SECRET || process.env.NODE_ENV === "production") return;
  const file = path.resolve("data/.secret");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  process.env.BATON_SECRET = fs.readFileSync(file, "utf8").trim();
}

async function main() {
  ensureDevSecret();
  let env;
  try {
    env = parseEnv(process.env);
    assertRuntimeEnv(env);
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }
  if (env.DATABASE_URL.startsWith("file:")) fs.mkdirSync(path.resolve("data"), { recursive: true });
  try {
    execFileSync(process.execPath, ["scripts/prisma/migrate.mjs", "deploy"], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  } catch {
    fail("database migrations failed (see the error above); DATABASE_URL must point to a reachable database");
  }

  if (env.DATABASE_URL.startsWith("file:")) {
    // WAL: readers never wait for the writer, and a commit is one append to the log (kept
    // durable: synchronous stays FULL, so no acknowledged action loses its audit event).
    const { default: Database } = await import("better-sqlite3");
    const sqlite = new Database(path.resolve(env.DATABASE_URL.slice("file:".length)));
    sqlite.pragma("journal_mode = WAL");
    sqlite.close();
  }
  // The audit keyring lives outside the database: made on first start in development and demo,
  // required (npm run audit:keys -- init) in production. Checked before anything is audited.
  const { auditKeyring, AuditKeyError } = await import("./lib/audit/keys");
  try {
    const keyring = auditKeyring();
    console.log(`Audit key ${keyring.current.id} (${keyring.file})`);
  } catch (err) {
    if (err instanceof AuditKeyError) fail(err.message);
    throw err;
  }
  const { startAuditCheckpoints, stopAuditCheckpoints } = await import("./lib/audit/checkpoint");
  const { logger } = await import("./lib/logger");
  const { seedDemoUsers, usersWithDemoPasswords, DEMO_USERS } = await import("./lib/data/users/demo-users");
  const { attachRealtime } = await import("./lib/realtime/socket-server");
  const { auditOriginRefusal, sendOriginRefused } = await import("./lib/http/origin-refusal");
  const { Fleet, setFleet } = await import("./lib/fleet/fleet");

  // Several console instances (REDIS_URL): joined before any agent link starts, since each link
  // asks the cluster whether it ingests its computer's events (lib/cluster/lease.ts).
  let clusterHandle: import("./lib/cluster/connect").TClusterHandle | undefined;
  if (env.REDIS_URL) {
    const { connectCluster } = await import("./lib/cluster/connect");
    try {
      clusterHandle = await connectCluster({ url: env.REDIS_URL, prefix: env.BATON_REDIS_PREFIX });
    } catch (err) {
      fail((err as Error).message);
    }
    console.log(`Console instance ${clusterHandle.instanceId} (Redis key prefix ${env.BATON_REDIS_PREFIX})`);
  }

  let demoFleet: { stop: () => void } | undefined;
  if (env.BATON_DEMO === "1") {
    if (env.BATON_DEMO_FLEET === "1") {
      const { startDemoFleet } = await import("./lib/fleet/demo-fleet");
      const started = await startDemoFleet({ basePort: env.BATON_DEMO_AGENT_PORT, dir: env.BATON_DEMO_FLEET_DIR, reset: env.BATON_DEMO_FLEET_RESET === "1" });
      demoFleet = started;
      console.log(`Demo fleet: ${started.agents.map((a) => `${a.name} (:${a.port}${a.adopted ? ", still running: adopted" : ""})`).join(", ")}`);
      console.log(`Demo agents outlive the console (their sessions too); stop them with: npm run demo:stop`);
    }
    const { created } = await seedDemoUsers();
    if (created.length) {
      console.log("\nDemo accounts (demo only; change them before real use):");
      for (const u of DEMO_USERS) console.log(`  ${u.role.padEnd(10)}  ${u.username.padEnd(9)}  ${u.password}`);
      console.log("");
    }
  } else if (env.NODE_ENV === "production") {
    const weak = await usersWithDemoPasswords();
    if (weak.length) fail(`refusing to start in production: account(s) ${weak.join(", ")} still use a published demo password`);
  }

  const dev = env.NODE_ENV !== "production";
  const app = next({ dev, hostname: env.HOST, port: env.PORT, turbopack: dev });
  await app.prepare();
  const handle = app.getRequestHandler();
  const allowed = allowedOrigins(env);
  const trustProxy = env.BATON_TRUST_PROXY === "1";
  // Every HTTP request (pages, server actions, sign-in, /api) passes the origin check before Next
  // sees it; socket.io checks its handshake the same way. The client's address is stamped on the
  // request here, replacing anything the client sent, for sign-in throttling.
  const server = createServer((req, res) => {
    // Next re-encodes the URL (a `%FF` becomes U+FFFD) before pages, routes or the proxy see it.
    const invalid = invalidUtf8InTarget(req.url ?? "/");
    if (invalid) {
      const body = JSON.stringify({ error: { code: "INVALID_INPUT", message: invalid } });
      res.writeHead(400, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
      return void res.end(body);
    }
    const address = clientAddress(req, trustProxy);
    req.headers[CLIENT_ADDRESS_HEADER] = address;
    const facts = requestFacts(req);
    const verdict = judgeOrigin(facts, allowed);
    if (verdict.ok) return void handle(req, res);
    logger.warn({ origin: verdict.origin, method: facts.method, path: facts.path, address }, "request from a foreign origin refused");
    req.resume();
    void auditOriginRefusal({ facts, verdict, cookieHeader: req.headers.cookie, channel: "http", address }).finally(() =>
      sendOriginRefused(res, refusalMessage(verdict, allowed)),
    );
  });
  const io = attachRealtime(server, { allowed, trustProxy });
  const stopClusterWork: (() => unknown)[] = [];
  if (clusterHandle) {
    const { useRedisAdapter } = await import("./lib/cluster/connect");
    const { startBulkJobWatch } = await import("./lib/cluster/bulk-jobs");
    const { startPresenceRenewal } = await import("./lib/cluster/presence");
    useRedisAdapter(io, clusterHandle);
    stopClusterWork.push(startBulkJobWatch(clusterHandle), startPresenceRenewal());
  }
  // Bulk jobs a stopped console left unfinished (a crash, a restart): their targets without an
  // outcome end "interrupted", audited, before this console runs any job (lib/cluster/bulk-jobs.ts).
  const { endJobsOfStoppedConsoles } = await import("./lib/cluster/bulk-jobs");
  await endJobsOfStoppedConsoles().catch((err) => logger.error({ err }, "unfinished bulk jobs could not be ended at start; the next start tries again"));
  const fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();

  server.listen(env.PORT, env.HOST, () => {
    logger.info({ url: `http://${env.HOST}:${env.PORT}`, allowedOrigins: allowed, dev, demo: env.BATON_DEMO === "1" }, "console listening");
    console.log(`Baton console on http://${env.HOST}:${env.PORT}`);
  });
  startAuditCheckpoints();
  // Actions whose outcome a previous run could not record: resolved against the agents' state.
  const { startIntentSweeps } = await import("./lib/actions/intents");
  const stopIntentSweeps = startIntentSweeps();

  const shutdown = (signal: string) => {
    logger.info({ signal }, "console shutting down");
    io.close();
    stopIntentSweeps();
    for (const stop of stopClusterWork) void stop();
    // Links release their ingest leases: another instance takes over at once.
    const linksDown = fleet.stop();
    demoFleet?.stop();
    // The last events get their signed checkpoint before the process goes.
    void Promise.allSettled([stopAuditCheckpoints(), linksDown])
      .then(() => clusterHandle?.close())
      .finally(() => server.close(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
