import type { ReactNode } from "react";
import { formatBytes, formatDuration } from "@/components/sessions/format";
import { Progress } from "@/components/ui/progress";
import type { TConfigurationRow } from "@/lib/dto/computers";
import { cn } from "@/lib/utils/cn";

export const NEAR_QUOTA = 0.8;

/** The highest use of a counted quota (shells, concurrent users) as a fraction of its limit. */
export function quotaUse(c: Pick<TConfigurationRow, "activeShells" | "maxShells" | "activeUsers" | "maxConcurrentUsers">): number {
  return Math.max(c.maxShells ? c.activeShells / c.maxShells : 0, c.maxConcurrentUsers ? c.activeUsers / c.maxConcurrentUsers : 0);
}

function Used({ label, used, max }: { label: string; used: number; max: number }) {
  const ratio = max ? used / max : 0;
  return (
    <div className="space-y-1">
      <span className={cn("tabular-nums", ratio >= NEAR_QUOTA && "font-semibold text-amber-800")}>
        {used} / {max} in use
      </span>
      <span className="text-slate-500"> · {Math.max(0, max - used)} free</span>
      <Progress value={used} max={max} label={label} valueText={`${used} of ${max}`} tone={ratio >= 1 ? "bad" : ratio >= NEAR_QUOTA ? "warn" : "good"} className="h-1.5 w-32" />
    </div>
  );
}

// Get-PSSessionConfiguration, readable: the limits a new session will meet and the headroom left.
export function ConfigurationLimits({ configuration: c, computerName, className }: { configuration: TConfigurationRow; computerName: string; className?: string }) {
  const maxIdleSec = Math.floor(c.maxIdleTimeoutMs / 1000);
  const items: [string, ReactNode][] = [
    ["Shells (MaxShells)", <Used key="s" label={`Shells in use on ${computerName} (${c.name})`} used={c.activeShells} max={c.maxShells} />],
    ["Users (MaxConcurrentUsers)", <Used key="u" label={`Concurrent users on ${computerName} (${c.name})`} used={c.activeUsers} max={c.maxConcurrentUsers} />],
    ["Shells per user", c.maxShellsPerUser],
    [
      "Idle timeout",
      <span key="i">
        default {Math.floor(c.idleTimeoutMs / 1000)} s ({formatDuration(c.idleTimeoutMs / 1000)}); allowed {c.minIdleTimeoutSec}–{maxIdleSec} s ({formatDuration(maxIdleSec)})
      </span>,
    ],
    ["Output buffering", `${c.outputBufferingMode}, ${formatBytes(c.outputBufferBytes)} buffer`],
    ["Memory per shell", `${c.maxMemoryPerShellMB.toLocaleString("en-US")} MB`],
    ["Processes per shell", c.maxProcessesPerShell],
    [
      "Watching",
      c.allowAskBeforeWatching
        ? "help desk, managers and admins may watch read-only; a holder may require them to ask first"
        : "help desk, managers and admins may watch read-only (holders may not refuse)",
    ],
  ];
  return (
    <dl className={cn("grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1.5 rounded-md border border-slate-200 bg-slate-50 p-3 text-xs", className)} aria-label={`Limits of ${c.name} on ${computerName}`}>
      {items.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-600">{k}</dt>
          <dd className="text-slate-800">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
