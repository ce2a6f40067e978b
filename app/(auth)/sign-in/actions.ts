"use server";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { appendAuditEvent } from "@/lib/audit/append";
import { dummyPasswordHash, verifyPassword } from "@/lib/auth/password";
import { homeFor } from "@/lib/auth/roles";
import { createAuthSession, deleteAuthSession, SESSION_COOKIE } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { ZSignIn } from "@/lib/data/users/schemas";
import { env } from "@/lib/env";

export type TSignInState = { error?: string; username?: string };

const safeNext = (next: string | undefined) => (next && next.startsWith("/") && !next.startsWith("//") ? next : undefined);

// Sign-in is the one action that runs without a session, so it cannot use the action wrapper;
// it validates, audits and refuses the same way.
export async function signIn(_prev: TSignInState, form: FormData): Promise<TSignInState> {
  const parsed = ZSignIn.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Enter your username and password." };
  const { username, password, next } = parsed.data;

  const user = await db.user.findUnique({ where: { username }, omit: { passwordHash: false } });
  const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !valid || user.disabled) {
    await appendAuditEvent({ actor: { id: user?.id ?? null, name: username, role: user?.role ?? "none" }, action: "auth.sign-in", outcome: "refused", error: "wrong username or password" });
    return { error: "Wrong username or password.", username };
  }
  const { token, expiresAt } = await createAuthSession(user.id);
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: env().BATON_COOKIE_SECURE === "1",
    path: "/",
    expires: expiresAt,
  });
  await appendAuditEvent({ actor: { id: user.id, name: user.username, role: user.role }, action: "auth.sign-in", outcome: "ok" });
  redirect(safeNext(next) ?? homeFor(user.role));
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (token) await deleteAuthSession(token);
  jar.delete(SESSION_COOKIE);
  redirect("/sign-in");
}
