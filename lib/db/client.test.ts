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
