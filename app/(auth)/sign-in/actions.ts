"use server";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { homeFor } from "@/lib/auth/roles";
import { createAuthSession, deleteAuthSession, sessionCookie } from "@/lib/auth/session-store";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { ZSignIn } from "@/lib/data/users/schemas";
import { CLIENT_ADDRESS_HEADER } from "@/lib/http/origins";

export type TSignInState = { error?: string; username?: string };

const safeNext = (next: string | undefined) => (next && next.startsWith("/") && !next.startsWith("//") ? next : undefined);

// Sign-in is the one action that runs without a session, so it cannot use the action wrapper;
// it validates, throttles, audits and refuses in lib/auth/sign-in.ts. The client address is the
// one server.ts stamped on the request (a client cannot set it).
export async function signIn(_prev: TSignInState, form: FormData): Promise<TSignInState> {
  const parsed = ZSignIn.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Enter your username and password." };
  const { username, password, next } = parsed.data;

  const address = (await headers()).get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  const result = await attemptSignIn({ username, password, address });
  if (!result.ok) return { error: result.error, username };

  const { token, expiresAt } = await createAuthSession(result.user.id);
  const cookie = sessionCookie();
  (await cookies()).set(cookie.name, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: cookie.secure,
    path: "/",
    expires: expiresAt,
  });
  redirect(safeNext(next) ?? homeFor(result.user.role));
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  const { name, secure } = sessionCookie();
  const token = jar.get(name)?.value;
  if (token) await deleteAuthSession(token);
  // A `__Host-` cookie is only replaced by one with the same Secure and Path attributes.
  jar.set(name, "", { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: 0 });
  redirect("/sign-in");
}
