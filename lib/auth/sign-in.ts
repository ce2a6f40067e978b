import { appendAuditEvent } from "@/lib/audit/append";
import { dummyPasswordHash, verifyPassword } from "@/lib/auth/password";
import type { TRole } from "@/lib/auth/roles";
import {
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  claimAttempt,
  clearKey,
  releaseAttempt,
  sweepStaleKeys,
  type TClaim,
  type TThrottleReport,
  type TThrottleScope,
} from "@/lib/auth/sign-in-throttle";
import { db } from "@/lib/db/client";

export type TSignInResult =
  | { ok: true; user: { id: string; username: string; role: TRole } }
  | { ok: false; error: string; retryAt?: Date };

export const WRONG_CREDENTIALS = "Wrong username or password.";

/** "in 14 minutes (at 20:46 UTC)" / "in 8 seconds". */
export function retryPhrase(retryAt: Date, now: Date): string {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minutes (at ${retryAt.toISOString().slice(11, 16)} UTC)`;
}

type TActor = { id: string | null; name: string; role: string };

async function auditReport(report: TThrottleReport, scope: TThrottleScope, ctx: { actor: TActor; username: string; address: string }) {
  const who = scope === "account" ? `account ${ctx.username}` : `address ${ctx.address}`;
  const until = report.until?.toISOString();
  const error =
    report.kind === "failure"
      ? "wrong username or password"
      : report.kind === "lockout"
        ? `${report.failures} failed sign-ins: ${who} locked until ${until}`
        : `refused: ${who} is locked until ${until}`;
  await appendAuditEvent({
    actor: ctx.actor,
    action: report.kind === "lockout" ? "auth.lockout" : "auth.sign-in",
    outcome: "refused",
    error,
    // attemptsSinceLastEvent: this attempt plus those not audited one by one since the key's last event.
    params: { scope, address: ctx.address, failures: report.failures, attemptsSinceLastEvent: report.attempts, ...(until ? { lockedUntil: until } : {}) },
  });
}

/**
 * Checks a username and password under the sign-in throttle (per account and per client
 * address, see sign-in-throttle.ts) and audits the outcome. Refusals say when to try again; a
 * locked account refuses the right password too. Unknown usernames are throttled exactly like
 * real ones, so lockouts do not reveal which accounts exist.
 */
export async function attemptSignIn(input: { username: string; password: string; address: string; now?: Date }): Promise<TSignInResult> {
  const { username, password, address } = input;
  const now = input.now ?? new Date();
  await sweepStaleKeys(now);
  const anonymous: TActor = { id: null, name: username, role: "none" };

  const byAddress = await claimAttempt(`address:${address}`, ADDRESS_POLICY, now);
  if (!byAddress.ok) {
    if (byAddress.report) await auditReport(byAddress.report, "address", { actor: anonymous, username, address });
    return { ok: false, error: `Too many failed sign-ins from your address. Try again ${retryPhrase(byAddress.retryAt, now)}.`, retryAt: byAddress.retryAt };
  }
  const byAccount = await claimAttempt(`account:${username}`, ACCOUNT_POLICY, now);
  if (!byAccount.ok) {
    await releaseAttempt(byAddress, now);
    const user = byAccount.report ? await db.user.findUnique({ where: { username }, select: { id: true, role: true } }) : null;
    const actor = user ? { id: user.id, name: username, role: user.role } : anonymous;
    if (byAccount.report) await auditReport(byAccount.report, "account", { actor, username, address });
    const error = byAccount.locked
      ? `Too many failed sign-ins: this account is locked. Try again ${retryPhrase(byAccount.retryAt, now)}.`
      : `Too many failed sign-ins. Wait, then try again ${retryPhrase(byAccount.retryAt, now)}.`;
    return { ok: false, error, retryAt: byAccount.retryAt };
  }

  const user = await db.user.findUnique({ where: { username }, omit: { passwordHash: false } });
  const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (user && valid && !user.disabled) {
    await clearKey(byAccount.key);
    await releaseAttempt(byAddress, now);
    await appendAuditEvent({ actor: { id: user.id, name: user.username, role: user.role }, action: "auth.sign-in", outcome: "ok", params: { address } });
    return { ok: true, user: { id: user.id, username: user.username, role: user.role } };
  }

  const actor = user ? { id: user.id, name: username, role: user.role } : anonymous;
  const reports: [TClaim & { ok: true }, TThrottleScope][] = [
    [byAccount, "account"],
    [byAddress, "address"],
  ];
  for (const [claim, scope] of reports) if (claim.reportIfFailed) await auditReport(claim.reportIfFailed, scope, { actor, username, address });
  const lockedUntil = byAccount.lockedUntil ?? byAddress.lockedUntil;
  if (lockedUntil) {
    const what = byAccount.lockedUntil ? "this account is" : "sign-in from your address is";
    return { ok: false, error: `${WRONG_CREDENTIALS} Too many failed sign-ins: ${what} locked. Try again ${retryPhrase(lockedUntil, now)}.`, retryAt: lockedUntil };
  }
  return { ok: false, error: WRONG_CREDENTIALS };
}
