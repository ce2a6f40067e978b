"use client";
import { formatClock, formatDuration, formatTime } from "@/components/sessions/format";
import { useNow } from "@/components/sessions/use-now";
import type { TSessionRow } from "@/lib/dto/sessions";
import { cn } from "@/lib/utils/cn";

// Time left before the agent ends a disconnected session. Ticks every second; turns amber in
// the last ten minutes and red in the last one.
export function IdleCountdown({ session }: { session: Pick<TSessionRow, "expiresOn" | "agentState" | "idleTimeoutSec"> }) {
  const now = useNow();
  if (session.agentState !== "Disconnected" || !session.expiresOn) return <span className="text-slate-400">—</span>;
  const expires = new Date(session.expiresOn).getTime();
  const left = now ? (expires - now) / 1000 : null;
  const title = `Ends at ${formatTime(session.expiresOn)} (idle timeout ${formatDuration(session.idleTimeoutSec)})`;
  if (left === null) return <span title={title}>{formatTime(session.expiresOn)}</span>;
  return (
    <time
      dateTime={session.expiresOn}
      aria-label={left <= 0 ? "expiring" : `expires in ${formatClock(left)}`}
      title={title}
      className={cn("whitespace-nowrap font-mono text-xs tabular-nums", left < 60 ? "font-semibold text-red-700" : left < 600 ? "text-amber-700" : "text-slate-700")}
    >
      {left <= 0 ? "expiring…" : formatClock(left)}
    </time>
  );
}
