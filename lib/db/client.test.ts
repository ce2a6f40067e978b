import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// As server.ts leaves the file before the console's client connects: in WAL mode. A connection
// better-sqlite3 opens on such a file defaults to synchronous=NORMAL (its build's
// SQLITE_DEFAULT_WAL_SYNCHRONOUS=1), which can lose acknowledged commits on a power loss.
const url = prepareTestDatabase();
const file = url.slice("file:".length);
new Database(file).pragma("journal_mode = WAL");
const { db } = await import("@/lib/db/client");

describe("the console's SQLite connection", () => {
  it("commits durably in WAL mode (synchronous=FULL), where a plain connection would not", async () => {
    const plain = new Database(file);
    expect(plain.pragma("synchronous", { simple: true })).toBe(1);
    plain.close();
    expect(await db.$queryRawUnsafe("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
    expect(await db.$queryRawUnsafe("PRAGMA synchronous")).toEqual([{ synchronous: 2n }]);
  });
});

describe("prepared statements kept per connection", () => {
  it("prepares a statement once and binds each call's own values", async () => {
    const { reusePreparedStatements } = await import("@/lib/db/client");
    const conn = new Database(":memory:");
    conn.defaultSafeIntegers(true);
    let prepared = 0;
    const real = conn.prepare.bind(conn);
    conn.prepare = ((sql: string) => {
      prepared++;
      return real(sql);
    }) as typeof conn.prepare;
    reusePreparedStatements(conn);
    conn.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    // As the adapter calls it: prepare(sql).bind(args), then run() or raw().all().
    const insert = "INSERT INTO t (id, name) VALUES (?, ?)";
    for (const [id, name] of [[1, "a"], [2, "b"], [3, "c"]] as const) conn.prepare(insert).bind([id, name]).run();
    const select = "SELECT name FROM t WHERE id >= ? ORDER BY id";
    const read = (from: number) => {
      const stmt = (conn.prepare(select) as unknown as { bind(a: unknown[]): { reader: boolean; columns(): { name: string }[]; raw(): { all(): unknown[][] } } }).bind([from]);
      expect(stmt.reader).toBe(true);
      expect(stmt.columns().map((c) => c.name)).toEqual(["name"]);
      return stmt.raw().all();
    };
    expect(read(2)).toEqual([["b"], ["c"]]);
    expect(read(1)).toEqual([["a"], ["b"], ["c"]]);
    expect(read(3)).toEqual([["c"]]);
    conn.prepare("BEGIN").run();
    conn.prepare(insert).bind([4, "d"]).run();
    conn.prepare("ROLLBACK").run();
    expect(read(1)).toHaveLength(3);
    // One prepare per distinct statement, however often it ran.
    expect(prepared).toBe(4);
    conn.close();
  });

  it("serves the console's client: the same query with other values, in and out of transactions", async () => {
    await db.$executeRawUnsafe('CREATE TABLE "Scratch" ("id" INTEGER PRIMARY KEY, "at" DATETIME, "n" BIGINT)');
    const at = new Date("2026-12-01T10:00:00.000Z");
    for (let i = 1; i <= 3; i++) await db.$executeRawUnsafe('INSERT INTO "Scratch" ("id", "at", "n") VALUES (?, ?, ?)', i, at, BigInt(i) * 10_000_000_000n);
    await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('UPDATE "Scratch" SET "n" = ? WHERE "id" = ?', 7n, 2);
    });
    const rows = (n: number) => db.$queryRawUnsafe<{ id: number; n: bigint }[]>('SELECT "id", "n" FROM "Scratch" WHERE "id" >= ? ORDER BY "id"', n);
    expect(await rows(1)).toEqual([{ id: 1, n: 10_000_000_000n }, { id: 2, n: 7n }, { id: 3, n: 30_000_000_000n }]);
    expect(await rows(3)).toEqual([{ id: 3, n: 30_000_000_000n }]);
  });
});
