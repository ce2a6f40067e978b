import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { sessionCookie, userForToken, type TSessionUser } from "@/lib/auth/session-store";

export async function getCurrentUser(): Promise<TSessionUser | null> {
  const jar = await cookies();
  return userForToken(jar.get(sessionCookie().name)?.value);
}

// For pages: no session sends the browser to sign-in (and back afterwards).
export async function requireUser(from: string): Promise<TSessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(from)}`);
  return user;
}
