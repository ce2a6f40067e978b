import { describe, expect, it } from "vitest";
import { AppError, isDbUnavailable, isUniqueViolation, mapPrismaError } from "@/lib/errors";
import { isStoreFailure } from "@/lib/fleet/computer-link";

describe("AppError", () => {
  it("is recognised across module copies (server.ts and Next's bundle each load lib/errors)", () => {
    // What an AppError built by another copy of this module looks like to this one.
    const foreign = Object.assign(new Error("The session ITTask cannot be disconnected"), { code: "INVALID_INPUT", [Symbol.for("baton.AppError")]: true });
    expect(foreign instanceof AppError).toBe(true);
    expect(new Error("plain") instanceof AppError).toBe(false);
    expect((null as unknown) instanceof AppError).toBe(false);
    expect(new AppError("NOT_FOUND", "x") instanceof AppError).toBe(true);
  });

  it("maps status codes and known Prisma errors", () => {
    expect(new AppError("QUOTA_EXCEEDED", "x").status).toBe(409);
    expect(mapPrismaError({ code: "P2002", meta: { target: ["username"] } })).toMatchObject({ code: "CONFLICT", message: "Another record already uses this username." });
    const unknown = new Error("boom");
    expect(mapPrismaError(unknown)).toBe(unknown);
  });

  it("tells an unreachable database from a wrong query, through the cause chain", () => {
    const refused = Object.assign(new Error("Invalid `db.session.findFirst()` invocation"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }) });
    expect(isDbUnavailable(refused)).toBe(true);
    expect(isDbUnavailable(new Error("SqliteError: database is locked"))).toBe(true);
    expect(isDbUnavailable({ code: "57P01", message: "terminating connection due to administrator command" })).toBe(true);
    expect(isDbUnavailable({ code: "P2002" })).toBe(false);
    expect(isDbUnavailable(new Error("column \"x\" does not exist"))).toBe(false);
    expect(isDbUnavailable(new AppError("AGENT_UNAVAILABLE", "Srv1 is offline"))).toBe(false);
    expect(mapPrismaError(refused)).toMatchObject({ code: "DB_UNAVAILABLE", status: 503, message: "The console's database is unavailable; try again in a moment." });
  });

  it("reads a raw statement's failure (P2010) by the driver's error it carries in meta", () => {
    // As Prisma 7 reports `$queryRawUnsafe` against a server that went away (the text varies).
    const raw = (cause: object) => Object.assign(new Error("Invalid `prisma.$queryRawUnsafe()` invocation: Raw query failed."), { code: "P2010", meta: { driverAdapterError: { name: "DriverAdapterError", cause } } });
    expect(isDbUnavailable(raw({ kind: "ConnectionClosed" }))).toBe(true);
    expect(isDbUnavailable(raw({ kind: "postgres", code: "57P01", message: "terminating connection due to administrator command" }))).toBe(true);
    expect(isDbUnavailable(raw({ kind: "postgres", code: "22P02", message: "invalid input value for enum \"SessionState\"" }))).toBe(false);
    // The agent-event pump retries the first and skips the last (lib/fleet/computer-link.ts).
    expect(isStoreFailure(raw({ kind: "ConnectionClosed" }))).toBe(true);
    expect(isStoreFailure(raw({ kind: "postgres", code: "22P02", message: "invalid input value for enum" }))).toBe(false);
  });

  it("knows a unique-index violation from the model API (P2002) and from a raw statement (P2010 by its driver's kind)", () => {
    expect(isUniqueViolation({ code: "P2002", meta: { target: ["seq"] } })).toBe(true);
    const raw = (kind: string) => ({ code: "P2010", meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind } } } });
    expect(isUniqueViolation(raw("UniqueConstraintViolation"))).toBe(true);
    expect(isUniqueViolation(raw("ForeignKeyConstraintViolation"))).toBe(false);
    expect(isUniqueViolation({ code: "P2025" })).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});
