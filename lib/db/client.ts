import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PgClient } from "@/lib/generated/prisma-pg/client";
import { PrismaClient } from "@/lib/generated/prisma-sqlite/client";
import { env, isPostgresUrl } from "@/lib/env";

// The one Prisma client. Secret columns are omitted from every query unless a caller opts in
// with `omit: { passwordHash: false }` (sign-in) or `{ tokenCiphertext: false }` (fleet);
// access tokens' hashes are only ever matched in a where clause.
const omit = { user: { passwordHash: true }, computer: { tokenCiphertext: true }, accessToken: { tokenHash: true } } as const;

/**
 * better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1: a connection opened on a
 * database already in WAL mode (server.ts switches it before this client connects) runs
 * synchronous=NORMAL, where a commit acknowledged just before a power loss or an OS crash can be
 * lost. Every connection Prisma opens is set back to FULL, so an acknowledged action's audit
 * event is on disk (the appender's group commit keeps that to one sync per group).
 */
class DurableSqlite extends PrismaBetterSqlite3 {
  override async connect() {
    const adapter = await super.connect();
    await adapter.executeScript("PRAGMA synchronous = FULL");
    reusePreparedStatements((adapter as unknown as { client: BetterSqlite3.Database }).client);
    return adapter;
  }
}

/** Prepared statements kept per connection, least recently used dropped first. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The adapter prepares every statement anew (`client.prepare(sql).bind(args)`, once per query):
 * SQLite parses and plans the same few dozen statements over and over, about a twentieth of the
 * console's CPU during a bulk job (a profile of bench:bulk, docs/benchmarks.md). This keeps each
 * statement prepared, keyed by its SQL, and hands the adapter a view bound to this call's values
 * (a statement's own bind() is once per statement, so values go to run()/all() instead). Each
 * call runs to completion synchronously, so one statement is never in use twice at once.
 */
export function reusePreparedStatements(client: BetterSqlite3.Database): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, BetterSqlite3.Statement>();
  const statement = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt) cache.delete(sql);
    else {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
  const bound = (stmt: BetterSqlite3.Statement, args: unknown[]) => ({
    reader: stmt.reader,
    run: () => stmt.run(args),
    columns: () => stmt.columns(),
    raw: () => ({ all: () => stmt.raw(true).all(args) }),
  });
  Object.assign(client, {
    prepare: (sql: string) => {
      const stmt = statement(sql);
      return { reader: stmt.reader, run: (...args: unknown[]) => stmt.run(...args), bind: (args: unknown[]) => bound(stmt, args) };
    },
  });
}

function createSqlite(url: string) {
  return new PrismaClient({ adapter: new DurableSqlite({ url }), omit });
}
export type Db = ReturnType<typeof createSqlite>;

export function createDb(url: string): Db {
  if (isPostgresUrl(url)) {
    // Same schema, other provider: the PostgreSQL client has the identical model API.
    return new PgClient({ adapter: new PrismaPg({ connectionString: url }), omit }) as unknown as Db;
  }
  return createSqlite(url);
}

/** Which SQL the one client speaks (the few raw statements differ in their placeholders). */
export const dbIsPostgres = isPostgresUrl(env().DATABASE_URL);

/** A placeholder maker for one raw statement: SQLite binds `?` in order, PostgreSQL `$1`, `$2`…. */
export function sqlPlaceholders(): () => string {
  let n = 0;
  return () => (dbIsPostgres ? `$${++n}` : "?");
}

const g = globalThis as typeof globalThis & { __batonDb?: Db };
export const db: Db = (g.__batonDb ??= createDb(env().DATABASE_URL));
