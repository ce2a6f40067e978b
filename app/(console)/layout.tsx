import { headers } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { signOut } from "@/app/(auth)/sign-in/actions";
import { DatabaseBanner } from "@/components/console/database-banner";
import { LiveStatus } from "@/components/console/live-status";
import { NavLinks } from "@/components/console/nav-links";
import { requireUser } from "@/lib/auth/current-user";
import { areasFor, ROLE_LABEL } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { isDbUnavailable } from "@/lib/errors";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const path = (await headers()).get("x-baton-path") ?? "/";
  let user: TSessionUser;
  try {
    user = await requireUser(path);
  } catch (err) {
    // Without the database there is no session to check and no page data: say so instead of
    // the generic error page (a redirect to sign-in is not an error and passes through).
    if (!isDbUnavailable(err)) throw err;
    return (
      <div className="min-h-screen">
        <header className="bg-slate-900">
          <div className="mx-auto flex max-w-screen-2xl items-center gap-6 px-4 py-3">
            <span className="text-lg font-bold tracking-tight text-white">Baton</span>
          </div>
        </header>
        <DatabaseBanner initiallyDown reloadWhenBack />
        <main className="mx-auto max-w-screen-2xl px-4 py-8">
          <h1 className="text-xl font-semibold text-slate-900">This page cannot be shown right now</h1>
          <p className="mt-2 text-sm text-slate-700">The console&apos;s database is unavailable; this page reloads by itself when it is back.</p>
        </main>
      </div>
    );
  }
  return (
    <div className="min-h-screen">
      <header className="bg-slate-900">
        <div className="mx-auto flex max-w-screen-2xl flex-wrap items-center gap-6 px-4 py-3">
          <span className="text-lg font-bold tracking-tight text-white">Baton</span>
          <NavLinks areas={areasFor(user.role)} />
          <div className="ml-auto flex items-center gap-4">
            <LiveStatus />
            <Link href="/tokens" className="rounded-md px-2 py-1 text-sm text-slate-300 hover:bg-slate-800 hover:text-white">
              Access tokens
            </Link>
            <span className="text-sm text-slate-200" data-testid="current-user">
              {user.displayName} <span className="text-slate-400">· {ROLE_LABEL[user.role]}</span>
            </span>
            <form action={signOut}>
              <button type="submit" className="rounded-md px-2 py-1 text-sm text-slate-300 hover:bg-slate-800 hover:text-white">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <DatabaseBanner />
      <main className="mx-auto max-w-screen-2xl px-4 py-8">{children}</main>
    </div>
  );
}
