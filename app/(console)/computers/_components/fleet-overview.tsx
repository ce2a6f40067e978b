"use client";
import Link from "next/link";
import { NEAR_QUOTA, quotaUse } from "@/components/sessions/configuration-limits";
import { formatAgo } from "@/components/sessions/format";
import { useNow } from "@/components/sessions/use-now";
import { Tooltip } from "@/components/ui/tooltip";
import type { TComputerRow } from "@/lib/dto/computers";
import { cn } from "@/lib/utils/cn";

const STATES = [
  { key: "Opened", label: "Opened", color: "bg-emerald-500", text: "text-white" },
  { key: "Connecting", label: "Connecting", color: "bg-amber-300", text: "text-amber-950" },
  { key: "Disconnecting", label: "Disconnecting", color: "bg-amber-300", text: "text-amber-950" },
  { key: "Disconnected", label: "Disconnected", color: "bg-sky-500", text: "text-white" },
  { key: "Broken", label: "Broken", color: "bg-red-500", text: "text-white" },
] as const;

const AVAILABILITY = ["Available", "Busy", "None"] as const;

const sessionsHref = (computer: string, extra: Record<string, string> = {}) => `/sessions?${new URLSearchParams({ computer, ...extra })}`;

type TOverviewRow = { c: TComputerRow; total: number; offline: boolean; quota: { ratio: number; text: string } | null };

function overviewOf(c: TComputerRow): TOverviewRow {
  const total = Object.values(c.sessionsByState).reduce((a, n) => a + (n ?? 0), 0);
  const busiest = [...c.configurations].sort((a, b) => quotaUse(b) - quotaUse(a))[0];
  let quota: TOverviewRow["quota"] = null;
  if (busiest) {
    const shells = busiest.maxShells ? busiest.activeShells / busiest.maxShells : 0;
    const users = busiest.maxConcurrentUsers ? busiest.activeUsers / busiest.maxConcurrentUsers : 0;
    quota =
      shells >= users
        ? { ratio: shells, text: `${busiest.activeShells}/${busiest.maxShells} shells` }
        : { ratio: users, text: `${busiest.activeUsers}/${busiest.maxConcurrentUsers} users` };
  }
  return { c, total, offline: c.status !== "online", quota };
}

// Help desk's first look: per computer, its live sessions by state as one bar (counts printed
// in the segments, a shared scale across computers), availability as you see it, and the
// busiest quota. Trouble first: offline hosts, then nearly exhausted quotas.
export function FleetOverview({ computers }: { computers: TComputerRow[] }) {
  const now = useNow();
  const rows = computers.map(overviewOf).sort((a, b) => {
    const rank = (r: TOverviewRow) => (r.offline ? 0 : (r.quota?.ratio ?? 0) >= NEAR_QUOTA ? 1 : (r.c.sessionsByState.Broken ?? 0) > 0 ? 2 : 3);
    return rank(a) - rank(b) || a.c.name.localeCompare(b.c.name);
  });
  const widest = Math.max(1, ...rows.map((r) => r.total));
  const offline = rows.filter((r) => r.offline).length;
  const nearQuota = rows.filter((r) => !r.offline && (r.quota?.ratio ?? 0) >= NEAR_QUOTA).length;
  const sessions = rows.reduce((a, r) => a + r.total, 0);

  return (
    <section aria-labelledby="fleet-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <div className="mb-3 flex flex-wrap items-baseline gap-x-6 gap-y-2">
        <h2 id="fleet-heading" className="text-sm font-semibold text-slate-900">
          Fleet at a glance
        </h2>
        <p className="text-sm text-slate-600">
          {computers.length} computers · <span className={offline ? "font-semibold text-red-700" : ""}>{offline} offline</span> ·{" "}
          <span className={nearQuota ? "font-semibold text-amber-800" : ""}>{nearQuota} near a quota</span> · {sessions} live sessions
        </p>
        <ul aria-label="Legend" className="ml-auto flex flex-wrap gap-3 text-xs text-slate-600">
          {STATES.filter((s) => s.key !== "Disconnecting").map((s) => (
            <li key={s.key} className="inline-flex items-center gap-1.5">
              <span aria-hidden className={cn("size-2.5 rounded-sm", s.color)} />
              {s.key === "Connecting" ? "Connecting / Disconnecting" : s.label}
            </li>
          ))}
        </ul>
      </div>
      {rows.length === 0 ? <p className="text-sm text-slate-500">No computers registered yet.</p> : null}
      <ul className="divide-y divide-slate-100" aria-label="Computers by session state">
        {rows.map(({ c, total, offline: down, quota }) => {
          const near = !down && (quota?.ratio ?? 0) >= NEAR_QUOTA;
          return (
            <li
              key={c.id}
              data-computer={c.name}
              className={cn("grid grid-cols-1 items-center gap-2 px-2 py-2 sm:grid-cols-[11rem_minmax(0,1fr)_15rem_9rem]", down && "bg-red-50", near && "bg-amber-50")}
            >
              <div className="flex min-w-0 items-center gap-2">
                <span aria-hidden className={cn("size-2.5 shrink-0 rounded-full", down ? "bg-red-500" : "bg-emerald-500")} />
                <Link href={sessionsHref(c.name)} className="truncate text-sm font-medium text-slate-900 hover:underline" aria-label={`Sessions on ${c.name}`}>
                  {c.name}
                </Link>
                {down ? (
                  <span className="shrink-0 text-xs font-semibold text-red-700">
                    {c.status === "offline" ? "offline" : "not yet seen"}
                    {c.lastSeenAt && now ? `, seen ${formatAgo(c.lastSeenAt, now)}` : ""}
                  </span>
                ) : null}
              </div>
              <div className="flex items-center gap-2">
                <div className="flex h-6 min-w-0 flex-1 overflow-hidden rounded bg-slate-100" style={{ maxWidth: `${Math.max(8, (total / widest) * 100)}%` }}>
                  {STATES.map((s) => {
                    const n = c.sessionsByState[s.key] ?? 0;
                    if (!n) return null;
                    return (
                      <Link
                        key={s.key}
                        href={sessionsHref(c.name, { state: s.key })}
                        aria-label={`${n} ${s.label} on ${c.name}`}
                        title={`${n} ${s.label} (as the computer reports it)`}
                        className={cn("flex min-w-6 items-center justify-center text-xs font-semibold tabular-nums hover:brightness-110", s.color, s.text)}
                        style={{ flexGrow: n, flexBasis: 0 }}
                      >
                        {n}
                      </Link>
                    );
                  })}
                </div>
                <span className="w-8 text-right text-xs tabular-nums text-slate-500">{total || "none"}</span>
              </div>
              <div className="flex flex-wrap gap-1 text-xs">
                {AVAILABILITY.map((a) => {
                  const n = c.sessionsByAvailability[a] ?? 0;
                  return n ? (
                    <Link key={a} href={sessionsHref(c.name, { availability: a })} className="rounded-full bg-slate-100 px-2 py-0.5 text-slate-700 hover:bg-slate-200">
                      {n} {a}
                    </Link>
                  ) : null;
                })}
              </div>
              <div className="text-xs">
                {quota ? (
                  near ? (
                    <Tooltip content="At or above 80% of a quota: new sessions may soon be refused.">
                      <span className="font-semibold text-amber-800">Near quota: {quota.text}</span>
                    </Tooltip>
                  ) : (
                    <span className="text-slate-500">{quota.text}</span>
                  )
                ) : (
                  <span className="text-slate-400">no configuration</span>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
