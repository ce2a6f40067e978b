"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { describeVerification } from "@/lib/audit/describe";
import type { TVerifyMode } from "@/lib/audit/verify";
import { auditVerifyQuery } from "@/lib/queries/audit";
import { useLiveEvent } from "@/lib/realtime/use-live-events";
import { cn } from "@/lib/utils/cn";
import { count, utc } from "@/app/(console)/audit/_components/format";

// The trail's verdict, prominent: intact with its length and what anchors it, or what is wrong
// (an event by number, a checkpoint, events missing since a checkpoint). After the page has
// loaded it runs the routine check since the newest signed checkpoint (well under a second
// whatever the trail's length, and it says that it is not a full verify); the full walk, which
// reads every event, runs when asked.
export function VerifyBadge() {
  const [request, setRequest] = useState<{ mode: TVerifyMode; run: number }>({ mode: "since-checkpoint", run: 0 });
  const { data, error, isFetching } = useQuery(auditVerifyQuery(request.mode, request.run));
  const ask = (mode: TVerifyMode) => setRequest((r) => ({ mode, run: r.run + 1 }));
  const [head, setHead] = useState(0);
  useLiveEvent((e) => {
    if (e.type === "audit.appended") setHead((h) => Math.max(h, e.seq));
  });
  const verifiedThrough = data ? (data.since ? data.since.seq - 1 : 0) + data.count : 0;
  const since = data?.ok && head > verifiedThrough ? head - verifiedThrough : 0;
  const verdict = data ? describeVerification(data) : null;

  const tone = isFetching && !data ? "pending" : error ? "unknown" : data?.ok ? "intact" : data ? "broken" : "pending";
  return (
    <section
      aria-label="Audit chain verification"
      data-testid="verify-badge"
      data-state={tone}
      className={cn(
        "mb-4 flex flex-wrap items-center gap-x-4 gap-y-2 rounded-lg border px-4 py-3",
        tone === "intact" && "border-emerald-200 bg-emerald-50",
        tone === "broken" && "border-red-300 bg-red-50",
        (tone === "pending" || tone === "unknown") && "border-slate-200 bg-white",
      )}
    >
      <span aria-hidden className={cn("flex size-8 shrink-0 items-center justify-center rounded-full text-base font-bold", icon[tone])}>
        {tone === "intact" ? "✓" : tone === "broken" ? "!" : tone === "unknown" ? "?" : "…"}
      </span>
      <div className="min-w-0 flex-1" role={tone === "broken" ? "alert" : "status"} aria-live="polite">
        <p className={cn("text-sm font-semibold", tone === "intact" ? "text-emerald-900" : tone === "broken" ? "text-red-900" : "text-slate-800")}>
          {!data && !error ? "Verifying the audit trail…" : error ? `Could not verify the chain: ${error.message}` : verdict?.headline}
        </p>
        <p className="text-xs text-slate-600">
          {data && verdict
            ? [
                `${data.since ? `Checkpoint signatures and links checked, then checkpoint ${data.since.checkpoint}'s event and every later one re-hashed with its MAC and links` : "Every event re-hashed, its MAC and links checked against the signed checkpoints"}, ${utc(data.checkedAt)} UTC, in ${data.durationMs < 1000 ? `${data.durationMs} ms` : `${(data.durationMs / 1000).toFixed(1)} s`}.`,
                ...verdict.details,
                ...(since ? [`${count(since)} event${since === 1 ? "" : "s"} appended since.`] : []),
              ].join(" ")
            : request.mode === "full"
              ? "Reads every event once; at a million events this takes some seconds."
              : "Checks the signed checkpoints, then the events after the newest one."}
        </p>
      </div>
      <div className="flex shrink-0 gap-2">
        <Button size="sm" variant="secondary" onClick={() => ask("since-checkpoint")} disabled={isFetching}>
          {isFetching && request.mode === "since-checkpoint" ? "Verifying…" : "Verify again"}
        </Button>
        <Button size="sm" variant="secondary" onClick={() => ask("full")} disabled={isFetching} title="Re-hash every event from the first one">
          {isFetching && request.mode === "full" ? "Verifying every event…" : "Full verify"}
        </Button>
      </div>
    </section>
  );
}

const icon = {
  intact: "bg-emerald-600 text-white",
  broken: "bg-red-600 text-white",
  pending: "bg-slate-200 text-slate-600",
  unknown: "bg-amber-200 text-amber-900",
} as const;
