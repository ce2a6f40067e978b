import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { sessionNameKey } from "@/lib/dto/sessions";
import Database from "better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlQuery } from "@prisma/driver-adapter-utils";
import { PrismaClient as PgClient } from "@/lib/generated/prisma-pg/client";
import { PrismaClient } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import type { Db } from "@/lib/db/client";
import { isPostgresUrl } from "@/lib/env";

// Query plans of the sessions list as the app sends it: a client whose driver adapter records
// every statement (with its arguments, exactly as the driver receives them) and can EXPLAIN a
// recorded one on the same connection. Install it as the app's client before importing the
// data layer (lib/db/client.ts reuses globalThis.__batonDb).

export type TPlanClient = { db: Db; recorded: SqlQuery[]; explain: (q: SqlQuery) => Promise<string> };

export function installPlanClient(url: string): TPlanClient {
  const recorded: SqlQuery[] = [];
  let adapter: SqlDriverAdapter | undefined;
  const postgres = isPostgresUrl(url);
  const factory = postgres ? new PrismaPg({ connectionString: url }) : new PrismaBetterSqlite3({ url });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const a = await connect();
    const query = a.queryRaw.bind(a);
    a.queryRaw = (q) => {
      recorded.push(q);
      return query(q);
    };
    adapter = a;
    return a;
  };
  const db = (postgres ? new PgClient({ adapter: factory as PrismaPg }) : new PrismaClient({ adapter: factory as PrismaBetterSqlite3 })) as unknown as Db;
  (globalThis as typeof globalThis & { __batonDb?: Db }).__batonDb = db;
  const explain = async (q: SqlQuery) => {
    if (!adapter) throw new Error("no query has run yet");
    const sql = postgres ? `EXPLAIN ${q.sql}` : `EXPLAIN QUERY PLAN ${q.sql}`;
    const r = await adapter.queryRaw({ ...q, sql });
    // SQLite: id, parent, notused, detail; PostgreSQL: one "QUERY PLAN" line per row.
    const col = postgres ? 0 : r.columnNames.indexOf("detail");
    return r.rows.map((row) => String(row[col])).join("\n");
  };
  return { db, recorded, explain };
}

const STATES = ["Opened", "Disconnected", "Disconnected", "Disconnected", "Broken", "Closed"] as const;
const NAMES = ["ITTask", "Patch", "Backup", "Deploy", "Diag"];

/**
 * `sessions` sessions over `computers` computers, fast: one raw INSERT transaction on SQLite
 * (dates stored as Prisma stores them), createMany in batches on PostgreSQL; names like the bench's.
 */
export async function seedSessions(url: string, db: Db, { sessions, computers }: { sessions: number; computers: number }): Promise<void> {
  const comps = Array.from({ length: computers }, (_, i) => ({ id: `plan-computer-${i}`, name: `BLD-${String(i).padStart(3, "0")}` }));
  await db.computer.createMany({ data: comps.map((c) => ({ ...c, address: "http://127.0.0.1:9", tokenCiphertext: "x" })) });
  const old = new Date(Date.now() - 86_400_000);
  const rows = Array.from({ length: sessions }, (_, i) => {
    const c = comps[i % computers];
    const name = `${NAMES[i % NAMES.length]}${i}`;
    const state = STATES[i % STATES.length];
    const owner = `plan-user-${i % 200}`;
    return {
      computerId: c.id,
      computerName: c.name,
      agentSessionId: Math.floor(i / computers) + 1,
      instanceId: `plan-instance-${i}`,
      name,
      nameKey: sessionNameKey(name),
      configurationName: "Microsoft.PowerShell",
      ownerId: owner,
      ownerName: `user${i % 200}`,
      holderId: state === "Opened" ? owner : null,
      holderName: state === "Opened" ? `user${i % 200}` : null,
      state,
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block" as const,
      updatedAt: state === "Closed" ? old : new Date(),
    };
  });
  if (isPostgresUrl(url)) {
    for (let i = 0; i < rows.length; i += 2000) await db.session.createMany({ data: rows.slice(i, i + 2000) });
    return;
  }
  const stored = (d: Date) => d.toISOString().replace("Z", "+00:00");
  const sqlite = new Database(url.replace(/^file:/, ""));
  const cols = Object.keys(rows[0]);
  const insert = sqlite.prepare(`INSERT INTO "Session" ("id", "createdAt", ${cols.map((c) => `"${c}"`).join(", ")}) VALUES (?, ?, ${cols.map(() => "?").join(", ")})`);
  const now = stored(new Date());
  sqlite.transaction(() => {
    rows.forEach((r, i) => insert.run(`plan-session-${String(i).padStart(6, "0")}`, now, ...Object.values(r).map((v) => (v instanceof Date ? stored(v) : v))));
  })();
  sqlite.close();
}

/** The recorded statements on the Session table that page (ORDER BY … LIMIT) and that count. */
export function sessionListStatements(recorded: SqlQuery[]): { page: SqlQuery; count: SqlQuery } {
  const onSession = recorded.filter((q) => /FROM\s+[`"](main|public)[`"]\.[`"]Session[`"]/i.test(q.sql) && !/"SessionConfiguration"/.test(q.sql));
  // The last one: a technician's list first reads their sessions' ids (ordered, limited reads too).
  const page = onSession.findLast((q) => /ORDER BY/i.test(q.sql) && /LIMIT/i.test(q.sql) && !/COUNT\(/i.test(q.sql));
  const count = onSession.find((q) => /COUNT\(/i.test(q.sql));
  if (!page || !count) throw new Error(`no page or count statement among:\n${recorded.map((q) => q.sql).join("\n")}`);
  return { page, count };
}

/**
 * The plan tests' technician, on their seeded fleet: user6 owns 120 sessions, and now also holds
 * 3 of user7's (Opened by them) and was handed 2 of user8's.
 */
export async function seedTechnicianScope(db: Db): Promise<{ tech: TSessionUser; held: { id: string }[]; handed: { id: string }[] }> {
  const tech: TSessionUser = { id: "plan-user-6", username: "user6", displayName: "Tech", role: "technician", team: null };
  await db.user.createMany({
    data: ["plan-user-6", "plan-user-8"].map((id) => ({ id, username: id, displayName: id, role: "technician" as const, passwordHash: "x" })),
  });
  const held = await db.session.findMany({ where: { ownerId: "plan-user-7", state: "Disconnected" }, select: { id: true }, take: 3 });
  await db.session.updateMany({ where: { id: { in: held.map((h) => h.id) } }, data: { state: "Opened", holderId: tech.id, holderName: "user6" } });
  const handed = await db.session.findMany({ where: { ownerId: "plan-user-8", state: "Disconnected" }, select: { id: true }, take: 2 });
  await db.handoff.createMany({ data: handed.map((h) => ({ sessionId: h.id, fromUserId: "plan-user-8", toUserId: tech.id, reason: "plan" })) });
  return { tech, held, handed };
}
