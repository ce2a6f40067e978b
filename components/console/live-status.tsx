"use client";
import { useLiveEvents } from "@/lib/realtime/use-live-events";
import { cn } from "@/lib/utils/cn";

// Keeps the tab's live channel open and shows whether updates are arriving.
export function LiveStatus() {
  const status = useLiveEvents();
  const label = status === "live" ? "Live" : status === "connecting" ? "Connecting…" : "Offline: reconnecting";
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-300" data-live-status={status} title="Live updates">
      <span
        aria-hidden
        className={cn("size-2 rounded-full", status === "live" ? "bg-emerald-400" : status === "connecting" ? "bg-amber-400" : "bg-red-400")}
      />
      {label}
    </span>
  );
}
