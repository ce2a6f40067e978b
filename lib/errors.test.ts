import { describe, expect, it } from "vitest";
import { AppError, mapPrismaError } from "@/lib/errors";

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
});
