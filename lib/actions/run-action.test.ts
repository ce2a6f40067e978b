import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { prepareTestDatabase } from "@/lib/testing/test-db";

prepareTestDatabase();
const { runAction } = await import("@/lib/actions/run-action");
const { db } = await import("@/lib/db/client");
const { AppError } = await import("@/lib/errors");
import type { TSessionUser } from "@/lib/auth/session-store";

const admin: TSessionUser = { id: "u-admin", username: "ada", displayName: "Ada", role: "admin", team: null };
const helpdesk: TSessionUser = { id: "u-hd", username: "hana", displayName: "Hana", role: "helpdesk", team: null };

let calls = 0;
const def = {
  name: "thing.rename",
  roles: ["admin"] as const,
  input: z.object({ name: z.string().min(3, "must be at least 3 characters"), secretToken: z.string().optional() }),
  target: (i: { name: string }) => ({ sessionName: i.name }),
  handler: async ({ input }: { input: { name: string } }) => {
    calls++;
    if (input.name === "conflict") throw new AppError("CONFLICT", "That name is taken.");
    if (input.name === "explode") throw new Error("database on fire");
    return { renamed: input.name };
  },
};

const lastEvent = () => db.auditEvent.findFirst({ orderBy: { seq: "desc" } });

describe("runAction", () => {
  beforeAll(() => {
    calls = 0;
  });

  it("refuses a call without a session, audits it and does not run the handler", async () => {
    const r = await runAction(def, null, { name: "valid" });
    expect(r).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
    expect(calls).toBe(0);
    expect(await lastEvent()).toMatchObject({ action: "thing.rename", outcome: "refused", actorName: "(anonymous)", actorId: null });
  });

  it("refuses a role that may not use the action", async () => {
    const r = await runAction(def, helpdesk, { name: "valid" });
    expect(r).toMatchObject({ ok: false, code: "FORBIDDEN", error: "Your role (helpdesk) may not thing rename." });
    expect(calls).toBe(0);
    expect(await lastEvent()).toMatchObject({ outcome: "refused", actorName: "hana", actorRole: "helpdesk" });
  });

  it("names the bad field and does not run the handler", async () => {
    const r = await runAction(def, admin, { name: "x" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe("INVALID_INPUT");
    expect(r.fieldErrors).toEqual({ name: ["must be at least 3 characters"] });
    expect(r.error).toBe("Invalid input: name: must be at least 3 characters");
    expect(calls).toBe(0);
  });

  it("runs, returns data and audits success with the target and redacted secrets", async () => {
    const r = await runAction(def, admin, { name: "UpdateSession", secretToken: "hunter2" });
    expect(r).toEqual({ ok: true, data: { renamed: "UpdateSession" } });
    const e = await lastEvent();
    expect(e).toMatchObject({ outcome: "ok", actorName: "ada", sessionName: "UpdateSession" });
    expect(JSON.parse(e!.params)).toEqual({ name: "UpdateSession", secretToken: "[redacted]" });
    expect(e!.params).not.toContain("hunter2");
  });

  it("turns an AppError into a typed refusal", async () => {
    expect(await runAction(def, admin, { name: "conflict" })).toMatchObject({ ok: false, code: "CONFLICT", error: "That name is taken." });
    expect(await lastEvent()).toMatchObject({ outcome: "refused", error: "CONFLICT: That name is taken." });
  });

  it("hides unexpected errors from the caller but records them", async () => {
    const r = await runAction(def, admin, { name: "explode" });
    expect(r).toMatchObject({ ok: false, code: "INTERNAL" });
    if (!r.ok) expect(r.error).not.toContain("fire");
    expect(await lastEvent()).toMatchObject({ outcome: "error" });
  });

  describe("a refusal names the session the input aimed at", () => {
    let sessionId: string;
    const sessionDef = {
      name: "session.run",
      roles: ["admin"] as const,
      input: z.object({ sessionId: z.string().regex(/^[a-z0-9]{20,40}$/, "is not a valid id"), command: z.string().min(1, "is required") }),
      handler: async ({ input }: { input: { sessionId: string } }) => {
        // Like the session actions: the handler looks the session up and may refuse first.
        if (input.sessionId) throw new AppError("NOT_FOUND", "No session you may see.");
        return null;
      },
    };

    beforeAll(async () => {
      const c = await db.computer.create({ data: { name: "Srv30", address: "http://127.0.0.1:1", tokenCiphertext: "unused" } });
      const s = await db.session.create({
        data: {
          computerId: c.id,
          computerName: c.name,
          agentSessionId: 1,
          instanceId: "5f0c6a1e-3d39-4d8e-9b7a-00000000aaaa",
          name: "RefTask",
          nameKey: "reftask",
          configurationName: "Microsoft.PowerShell",
          ownerId: "u-tech",
          ownerName: "tech",
          state: "Opened",
          idleTimeoutSec: 7200,
          outputBufferingMode: "Block",
        },
      });
      sessionId = s.id;
    });

    it("refused by role, by input, by the handler, or unauthenticated: session id, name and computer recorded", async () => {
      const cases: [Parameters<typeof runAction>[1], unknown, string][] = [
        [helpdesk, { sessionId: "", command: "true" }, "FORBIDDEN"],
        [admin, { sessionId: "", command: "" }, "INVALID_INPUT"],
        [admin, { sessionId: "", command: "true" }, "NOT_FOUND"],
        [null, { sessionId: "", command: "true" }, "UNAUTHENTICATED"],
      ];
      for (const [user, raw, code] of cases) {
        const r = await runAction(sessionDef, user, { ...(raw as object), sessionId });
        expect(r).toMatchObject({ ok: false, code });
        expect(await lastEvent()).toMatchObject({ action: "session.run", outcome: "refused", sessionId, sessionName: "RefTask", computerName: "Srv30" });
      }
    });

    it("a malformed or unknown id names no session; the parameters keep what was sent", async () => {
      for (const bad of ["../../etc", "zzzzzzzzzzzzzzzzzzzzzzzz", 42]) {
        await runAction(sessionDef, helpdesk, { sessionId: bad, command: "true" });
        const e = await lastEvent();
        expect(e).toMatchObject({ outcome: "refused", sessionId: null, sessionName: null, computerName: null });
        expect(JSON.parse(e!.params).sessionId).toBe(bad);
      }
    });
  });
});
