import { beforeEach, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// A hostile page can repeat a refused request in a loop, and a script can forge any Origin: the
// trail gets one event per (origin, actor, channel) per minute and a bounded number per minute
// overall, and nothing refused goes uncounted.
prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { createAuthSession, SESSION_COOKIE_PLAIN } = await import("@/lib/auth/session-store");
const { auditOriginRefusal, resetOriginRefusals, ORIGIN_REFUSED_ACTION } = await import("@/lib/http/origin-refusal");
const { judgeOrigin } = await import("@/lib/http/origins");

const CONSOLE = ["http://127.0.0.1:3000"];
const refuse = (origin: string, opts: { cookie?: string; channel?: "http" | "socket.io"; now: number }) => {
  const facts = { method: "POST", path: "/sessions/abc", origin };
  const verdict = judgeOrigin(facts, CONSOLE);
  if (verdict.ok) throw new Error("expected a refusal");
  return auditOriginRefusal({ facts, verdict, cookieHeader: opts.cookie, channel: opts.channel ?? "http", address: "127.0.0.1", now: opts.now });
};
const events = async () =>
  (await db.auditEvent.findMany({ where: { action: ORIGIN_REFUSED_ACTION }, orderBy: { seq: "asc" } })).map((e) => ({ ...e, p: JSON.parse(e.params) }));

beforeEach(() => resetOriginRefusals());

describe("origin refusals in the audit trail", () => {
  it("names the signed-in actor, the origin, channel and path; repeats within a minute are counted into the next event", async () => {
    const user = await db.user.create({ data: { username: "victim", displayName: "V", role: "technician", passwordHash: "x" } });
    const cookie = `${SESSION_COOKIE_PLAIN}=${(await createAuthSession(user.id)).token}`;
    const evil = "http://127.0.0.1:9999";
    const written = [];
    for (let i = 0; i < 50; i++) written.push(await refuse(evil, { cookie, now: 1_000 + i * 100 }));
    expect(written.filter(Boolean)).toHaveLength(1);
    expect(await refuse(evil, { cookie, channel: "socket.io", now: 6_000 })).toBe(true);
    expect(await refuse(evil, { cookie, now: 62_000 })).toBe(true); // a minute later: audited again, with the count

    const rows = (await events()).filter((e) => e.actorName === "victim");
    expect(rows.map((r) => [r.actorRole, r.outcome, r.p.channel, r.p.origin, r.p.path, r.p.method])).toEqual([
      ["technician", "refused", "http", evil, "/sessions/abc", "POST"],
      ["technician", "refused", "socket.io", evil, "/sessions/abc", "POST"],
      ["technician", "refused", "http", evil, "/sessions/abc", "POST"],
    ]);
    expect(rows[0].error).toBe(`FORBIDDEN_ORIGIN: origin ${evil} is not one of the console's origins`);
    expect(rows[2].p.earlierRefusalsNotAudited).toBe(49);
  });

  it("forged origins from a script: at most 30 events a minute, the rest counted", async () => {
    const before = (await events()).length;
    for (let i = 0; i < 200; i++) await refuse(`http://forged-${i}.example`, { now: 200_000 + i });
    expect((await events()).length - before).toBe(30);
    await refuse("http://forged-late.example", { now: 261_000 });
    const last = (await events()).at(-1)!;
    expect(last).toMatchObject({ actorName: "(anonymous)", actorId: null });
    expect(last.p.earlierRefusalsNotAudited).toBe(170);
  });
});
