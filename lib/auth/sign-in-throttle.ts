import { db } from "@/lib/db/client";

// Failed sign-ins are counted per key ("account:<username>", "address:<client address>") in
// the database, so every console instance sees the same counts. Each attempt claims its key
// before the password is checked and is counted as a failure at once; a success then clears
// (account) or gives back (address) that count. So a burst of parallel guesses cannot all slip
// past the check: the first claim moves nextAttemptAt and the rest are refused. Every change is
// a compare-and-set on `version`, which works the same on SQLite and PostgreSQL.

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export type TThrottleScope = "account" | "address";
export type TThrottlePolicy = {
  scope: TThrottleScope;
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** The failure that starts a lockout. */
  lockAt: number;
  baseDelayMs: number;
  maxDelayMs: number;
  lockMs: number;
  maxLockMs: number;
  /** A key with no failure for this long (and not locked) starts again from zero. */
  resetAfterMs: number;
  /** At most one audit event per key per window, besides the one a lockout starts with. */
  auditWindowMs: number;
  /** Whether the first failure in a window is audited (accounts) or only lockouts (addresses). */
  auditFirstFailure: boolean;
};

// OWASP ASVS 5.0 V6.3.1 (4.0 V2.2.1): brute force on one account is bounded well under 100 tries
// an hour (here 4 delayed tries, then locks of 15, 30, 60 minutes); an address gets a higher
// threshold, since many people may sign in from behind one NAT or proxy.
export const ACCOUNT_POLICY: TThrottlePolicy = {
  scope: "account",
  freeFailures: 1,
  lockAt: 5,
  baseDelayMs: 1 * SECOND,
  maxDelayMs: 30 * SECOND,
  lockMs: 15 * MINUTE,
  maxLockMs: 60 * MINUTE,
  resetAfterMs: 60 * MINUTE,
  auditWindowMs: 15 * MINUTE,
  auditFirstFailure: true,
};
export const ADDRESS_POLICY: TThrottlePolicy = {
  scope: "address",
  freeFailures: 20,
  lockAt: 50,
  baseDelayMs: 1 * SECOND,
  maxDelayMs: 30 * SECOND,
  lockMs: 15 * MINUTE,
  maxLockMs: 60 * MINUTE,
  resetAfterMs: 60 * MINUTE,
  auditWindowMs: 15 * MINUTE,
  auditFirstFailure: false,
};

/** What follows the f-th failure in a row: a delay before the next try, or a lockout. */
export function waitAfter(p: TThrottlePolicy, failures: number): { ms: number; lock: boolean } {
  if (failures >= p.lockAt) return { ms: Math.min(p.lockMs * 2 ** (failures - p.lockAt), p.maxLockMs), lock: true };
  if (failures < p.freeFailures) return { ms: 0, lock: false };
  return { ms: Math.min(p.baseDelayMs * 2 ** (failures - p.freeFailures), p.maxDelayMs), lock: false };
}

type TRow = {
  key: string;
  failures: number;
  lastFailureAt: Date;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  unaudited: number;
  auditedAt: Date | null;
  version: number;
};

/** Something to audit: `attempts` counts this attempt and the unaudited ones before it. */
export type TThrottleReport = { kind: "failure" | "lockout" | "locked"; attempts: number; failures: number; until?: Date };

export type TClaim =
  | { ok: true; key: string; failures: number; lockedUntil: Date | null; reportIfFailed: TThrottleReport | null }
  | { ok: false; key: string; retryAt: Date; locked: boolean; report: TThrottleReport | null };

const MAX_TRIES = 25;

async function compareAndSet(key: string, row: TRow | null, data: Omit<TRow, "key" | "version">): Promise<boolean> {
  if (!row) {
    try {
      await db.signInThrottle.create({ data: { key, ...data, version: 1 } });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === "P2002") return false;
      throw err;
    }
  }
  const { count } = await db.signInThrottle.updateMany({ where: { key, version: row.version }, data: { ...data, version: row.version + 1 } });
  return count === 1;
}

const later = (a: Date, b: Date | null) => (b && b > a ? b : a);

/** Claims one attempt for `key`, or says until when the key must wait (and whether it is locked). */
export async function claimAttempt(key: string, p: TThrottlePolicy, now: Date): Promise<TClaim> {
  const t = now.getTime();
  for (let i = 0; i < MAX_TRIES; i++) {
    const row = await db.signInThrottle.findUnique({ where: { key } });
    const locked = !!row?.lockedUntil && row.lockedUntil > now;
    const current = row && (locked || t - row.lastFailureAt.getTime() < p.resetAfterMs) ? row : null;
    const windowOpen = !current?.auditedAt || t - current.auditedAt.getTime() >= p.auditWindowMs;

    if (current) {
      const blockedUntil = later(current.nextAttemptAt, current.lockedUntil);
      if (blockedUntil > now) {
        const attempts = current.unaudited + 1;
        const report = locked && windowOpen ? { kind: "locked" as const, attempts, failures: current.failures, until: blockedUntil } : null;
        const { key: _k, version: _v, ...rest } = current;
        const ok = await compareAndSet(key, row, { ...rest, unaudited: report ? 0 : attempts, auditedAt: report ? now : current.auditedAt });
        if (ok) return { ok: false, key, retryAt: blockedUntil, locked, report };
        continue;
      }
    }

    const failures = (current?.failures ?? 0) + 1;
    const wait = waitAfter(p, failures);
    const lockedUntil = wait.lock ? new Date(t + wait.ms) : null;
    const attempts = (current?.unaudited ?? 0) + 1;
    const report: TThrottleReport | null = wait.lock
      ? { kind: "lockout", attempts, failures, until: lockedUntil! }
      : p.auditFirstFailure && windowOpen
        ? { kind: "failure", attempts, failures }
        : null;
    const ok = await compareAndSet(key, row, {
      failures,
      lastFailureAt: now,
      nextAttemptAt: new Date(t + wait.ms),
      lockedUntil,
      unaudited: report ? 0 : attempts,
      auditedAt: report ? now : (current?.auditedAt ?? null),
    });
    if (ok) return { ok: true, key, failures, lockedUntil, reportIfFailed: report };
  }
  throw new Error(`sign-in throttle: ${key} changed ${MAX_TRIES} times while claiming an attempt`);
}

/** Gives back a claimed attempt that turned out not to be a failure (address key). */
export async function releaseAttempt(claim: Extract<TClaim, { ok: true }>, now: Date): Promise<void> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const row = await db.signInThrottle.findUnique({ where: { key: claim.key } });
    if (!row) return;
    const { key: _k, version: _v, ...rest } = row;
    const setByThisClaim = !!claim.lockedUntil && row.lockedUntil?.getTime() === claim.lockedUntil.getTime();
    const ok = await compareAndSet(claim.key, row, {
      ...rest,
      failures: Math.max(0, row.failures - 1),
      nextAttemptAt: now,
      lockedUntil: setByThisClaim ? null : row.lockedUntil,
    });
    if (ok) return;
  }
}

/** A successful sign-in forgets the account's failures. */
export async function clearKey(key: string): Promise<void> {
  await db.signInThrottle.deleteMany({ where: { key } });
}

// Rows of keys nobody has failed on for a day are dropped, at most once per 10 minutes per process.
const g = globalThis as typeof globalThis & { __batonThrottleSweptAt?: number };
export async function sweepStaleKeys(now: Date): Promise<void> {
  if (now.getTime() - (g.__batonThrottleSweptAt ?? 0) < 10 * MINUTE) return;
  g.__batonThrottleSweptAt = now.getTime();
  const cutoff = new Date(now.getTime() - 24 * 60 * MINUTE);
  await db.signInThrottle.deleteMany({ where: { lastFailureAt: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] } });
}
