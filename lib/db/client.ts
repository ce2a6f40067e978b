import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PgClient } from "@/lib/generated/prisma-pg/client";
import { PrismaClient } from "@/lib/generated/prisma-sqlite/client";
import { env, isPostgresUrl } from "@/lib/env";

// The one Prisma client. Secret columns are omitted from every query unless a caller opts in
// with `omit: { passwordHash: false }` (sign-in) or `{ tokenCiphertext: false }` (fleet);
// access tokens' hashes are only ever matched in a where clause.
const omit = { user: { passwordHash: true }, computer: { tokenCiphertext: true }, accessToken: { tokenHash: true } } as const;

function createSqlite(url: string) {
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url }), omit });
}
export type Db = ReturnType<typeof createSqlite>;

export function createDb(url: string): Db {
  if (isPostgresUrl(url)) {
    // Same schema, other provider: the PostgreSQL client has the identical model API.
    return new PgClient({ adapter: new PrismaPg({ connectionString: url }), omit }) as unknown as Db;
  }
  return createSqlite(url);
}

/** Which SQL the one client speaks (the few raw statements differ in placeholders and casts). */
export const dbIsPostgres = isPostgresUrl(env().DATABASE_URL);

const g = globalThis as typeof globalThis & { __batonDb?: Db };
export const db: Db = (g.__batonDb ??= createDb(env().DATABASE_URL));
