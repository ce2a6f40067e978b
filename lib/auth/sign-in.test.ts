import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// Sign-in as an attacker tries it: bursts of wrong passwords, parallel guesses, the right
// password during a lockout, many accounts from one address. Real SQLite, real scrypt; the
// clock is passed in so minutes of lockout run instantly.
prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { hashPassword } = await import("@/lib/auth/password");
const { attemptSignIn, WRONG_CREDENTIALS } = await import("@/lib/auth/sign-in");
const { ACCOUNT_POLICY, ADDRESS_POLICY, waitAfter } = await import("@/lib/auth/sign-in-throttle");

const PASSWORD = "correct-horse-battery";
const T0 = Date.parse("2026-11-30T09:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms);
const S = 1000;
const MIN = 60 * S;

const authEvents = (name: string) => db.auditEvent.findMany({ where: { actorName: name, action: { startsWith: "auth." } }, orderBy: { seq: "asc" } });

beforeAll(async () => {
  const passwordHash = await hashPassword(PASSWORD);
  for (const username of ["victim", "racer", "patient", "escalate", "neighbour"]) {
    await db.user.create({ data: { username, displayName: username, role: "technician", passwordHash } });
  }
});

beforeEach(async () => {
  await db.signInThrottle.deleteMany();
});

describe("policy", () => {
  it("delays grow exponentially, then lock for 15, 30, 60 minutes (capped)", () => {
    expect([1, 2, 3, 4].map((f) => waitAfter(ACCOUNT_POLICY, f))).toEqual([1, 2, 4, 8].map((s) => ({ ms: s * S, lock: false })));
    expect([5, 6, 7, 8].map((f) => waitAfter(ACCOUNT_POLICY, f).ms / MIN)).toEqual([15, 30, 60, 60]);
    expect(waitAfter(ADDRESS_POLICY, 19)).toEqual({ ms: 0, lock: false });
    expect(waitAfter(ADDRESS_POLICY, 50)).toEqual({ ms: 15 * MIN, lock: true });
  });
});

describe("per account", () => {
  it("a burst of 30 wrong passwords gets one password check, the rest are told to wait, and at most 2 audit rows", async () => {
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await attemptSignIn({ username: "victim", password: `guess-${i}`, address: "203.0.113.7", now: at(i * 100) }));
    expect(results[0]).toEqual({ ok: false, error: WRONG_CREDENTIALS });
    for (const r of results.slice(1, 10)) expect(r).toMatchObject({ ok: false, error: "Too many failed sign-ins. Wait, then try again in 1 second." });
    expect(results[10]).toMatchObject({ ok: false, error: WRONG_CREDENTIALS }); // at +1 s the delay is over
    const row = await db.signInThrottle.findUniqueOrThrow({ where: { key: "account:victim" } });
    expect(row.failures).toBe(2); // the attempts at 0 s and 1 s were checked; the 28 others were not
    const events = await authEvents("victim");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "auth.sign-in", outcome: "refused", error: "wrong username or password" });
  });

  it("parallel guesses at the same instant: exactly one is checked", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attemptSignIn({ username: "racer", password: i === 5 ? PASSWORD : `guess-${i}`, address: "203.0.113.8", now: at(0) })),
    );
    const checked = results.filter((r) => r.ok || r.error === WRONG_CREDENTIALS);
    expect(checked).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.error.startsWith("Too many failed sign-ins"))).toHaveLength(11);
  });

  it("locks after 5 failures; the right password is then refused with the retry time; the lock ends after 15 minutes", async () => {
    const address = "198.51.100.1";
    const tries = [0, 1, 3, 7, 15].map((s) => s * S); // each just after the previous delay
    const results = [];
    for (const t of tries) results.push(await attemptSignIn({ username: "patient", password: "wrong-password", address, now: at(t) }));
    expect(results.slice(0, 4).every((r) => !r.ok && r.error === WRONG_CREDENTIALS)).toBe(true);
    expect(results[4]).toMatchObject({ ok: false, error: `${WRONG_CREDENTIALS} Too many failed sign-ins: this account is locked. Try again in 15 minutes (at 09:15 UTC).` });

    const during = await attemptSignIn({ username: "patient", password: PASSWORD, address, now: at(16 * S) });
    expect(during).toMatchObject({ ok: false, error: "Too many failed sign-ins: this account is locked. Try again in 15 minutes (at 09:15 UTC)." });
    expect((during as { retryAt: Date }).retryAt).toEqual(at(15 * S + 15 * MIN));
    for (let i = 0; i < 20; i++) await attemptSignIn({ username: "patient", password: PASSWORD, address, now: at(20 * S + i * S) });

    const events = await authEvents("patient");
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ["auth.sign-in", "refused"], // first failure
      ["auth.lockout", "refused"], // lockout starts (counts the 4 failures since the first event)
    ]); // the 21 refusals during the lock are counted; the next event for this key reports them
    expect(events[1].error).toBe("5 failed sign-ins: account patient locked until 2026-11-30T09:15:15.000Z");
    expect(JSON.parse(events[1].params)).toMatchObject({ scope: "account", address, failures: 5, attemptsSinceLastEvent: 4 });
    expect(events[1].actorId).not.toBeNull();

    const after = await attemptSignIn({ username: "patient", password: PASSWORD, address, now: at(15 * S + 15 * MIN + 1) });
    expect(after).toMatchObject({ ok: true, user: { username: "patient" } });
    expect(await db.signInThrottle.findUnique({ where: { key: "account:patient" } })).toBeNull();
  });

  it("a wrong password right after a lock ends locks again for twice as long", async () => {
    for (const t of [0, 1, 3, 7, 15]) await attemptSignIn({ username: "escalate", password: "nope-nope", address: "198.51.100.2", now: at(t * S) });
    const again = await attemptSignIn({ username: "escalate", password: "nope-nope", address: "198.51.100.2", now: at(16 * MIN) });
    expect(again).toMatchObject({ ok: false, retryAt: at(16 * MIN + 30 * MIN) });
    expect((again as { error: string }).error).toContain("locked. Try again in 30 minutes");
  });

  it("an unknown username is throttled exactly like a real one", async () => {
    for (const t of [0, 1, 3, 7]) await attemptSignIn({ username: "nobody-here", password: "x-x-x-x", address: "198.51.100.3", now: at(t * S) });
    const fifth = await attemptSignIn({ username: "nobody-here", password: "x-x-x-x", address: "198.51.100.3", now: at(15 * S) });
    expect((fifth as { error: string }).error).toBe(`${WRONG_CREDENTIALS} Too many failed sign-ins: this account is locked. Try again in 15 minutes (at 09:15 UTC).`);
  });
});

// Each attempt hashes a password (scrypt): dozens of them take a while on a loaded 2-core machine.
describe("per address", { timeout: 120_000 }, () => {
  it("many accounts from one address: delays from the 20th failure, a lock at the 50th that refuses every account from there, not from elsewhere", async () => {
    const address = "192.0.2.66";
    let t = 0;
    let lastDelay = 0;
    for (let i = 1; i <= 50; i++) {
      const r = await attemptSignIn({ username: `spray-${i}`, password: "Winter2026!", address, now: at(t) });
      expect(r.ok).toBe(false);
      if (i < 50) expect((r as { error: string }).error).toBe(WRONG_CREDENTIALS);
      lastDelay = waitAfter(ADDRESS_POLICY, i).ms;
      t += lastDelay;
    }
    expect(lastDelay).toBe(15 * MIN);
    const blocked = await attemptSignIn({ username: "neighbour", password: PASSWORD, address, now: at(t - MIN) });
    expect(blocked).toMatchObject({ ok: false, error: "Too many failed sign-ins from your address. Try again in 60 seconds." });
    expect(await attemptSignIn({ username: "neighbour", password: PASSWORD, address: "192.0.2.67", now: at(t - MIN) })).toMatchObject({ ok: true });

    const lockouts = await db.auditEvent.findMany({ where: { action: "auth.lockout", params: { contains: address } } });
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0].error).toBe(`50 failed sign-ins: address ${address} locked until ${at(t).toISOString()}`);
  });

  it("successful sign-ins from a shared address do not add up to delays", async () => {
    for (let i = 0; i < ADDRESS_POLICY.freeFailures + 5; i++) {
      expect(await attemptSignIn({ username: "neighbour", password: PASSWORD, address: "192.0.2.80", now: at(i * S) })).toMatchObject({ ok: true });
    }
    expect((await db.signInThrottle.findUniqueOrThrow({ where: { key: "address:192.0.2.80" } })).failures).toBe(0);
  });
});
