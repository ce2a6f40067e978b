"use client";
import { useEffect, useState } from "react";

const POLL_MS = 3000;

// Says so while the console's database is unavailable (from /readyz), so a page that stays
// open during an outage tells the user its data may be stale and actions will wait. A page that
// could not be rendered without the database (`reloadWhenBack`) reloads itself when it returns.
export function DatabaseBanner({ initiallyDown = false, reloadWhenBack = false }: { initiallyDown?: boolean; reloadWhenBack?: boolean }) {
  const [down, setDown] = useState(initiallyDown);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const r = await fetch("/readyz", { cache: "no-store" });
        const body = (await r.json()) as { checks?: { database?: { ok?: boolean } } };
        const isDown = body.checks?.database?.ok === false;
        if (!isDown && reloadWhenBack) return window.location.reload();
        if (!stopped) setDown(isDown);
      } catch {
        // The console itself is unreachable: the live status already says so.
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [reloadWhenBack]);
  if (!down) return null;
  return (
    <div role="alert" data-testid="database-banner" className="border-b border-amber-300 bg-amber-50 text-amber-900">
      <p className="mx-auto max-w-screen-2xl px-4 py-2 text-sm">
        <strong className="font-semibold">The console&apos;s database is unavailable.</strong> What you see may be out of date and actions
        cannot be recorded until it is back; try again in a moment. This page updates when it returns.
      </p>
    </div>
  );
}
