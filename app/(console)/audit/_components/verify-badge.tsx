"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { describeVerification } from "@/lib/audit/describe";
import { auditVerifyQuery } from "@/lib/queries/audit";
import { useLiveEvent } from "@/lib/realtime/use-live-events";
import { cn } from "@/lib/utils/cn";
import { count, utc } from "@/app/(console)/audit/_components/format";

// The trail's verdict, prominent: intact with its length and what anchors it, or what is wrong
// (an event by number, a checkpoint, events missing since a checkpoint). It runs after the page
// has loaded (a full verification reads every event) and again on request.
export function VerifyBadge() {
  const { data, error, isFetching, refetch } = useQuery(auditVerifyQuery());
  const [head, setHead] = useState(0);
  useLiveEvent((e) => {
    if (e.type === "audit.appended") setHead((h) => Math.max(h, e.seq));
  });
  const since = data?.ok && head > data.count ? head - data.count : 0;
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
                `Every event re-hashed, its MAC and links checked against the signed checkpoints, ${utc(data.checkedAt)} UTC, in ${(data.durationMs / 1000).toFixed(1)} s.`,
                ...verdict.details,
                ...(since ? [`${count(since)} event${since === 1 ? "" : "s"} appended since.`] : []),
              ].join(" ")
            : "Reads every event once; at a million events this takes some seconds."}
        </p>
      </div>
      <Button size="sm" variant="secondary" onClick={() => void refetch()} disabled={isFetching}>
        {isFetching ? "Verifying…" : "Verify again"}
      </Button>
    </section>
  );
}

const icon = {
  intact: "bg-emerald-600 text-white",
  broken: "bg-red-600 text-white",
  pending: "bg-slate-200 text-slate-600",
  unknown: "bg-amber-200 text-amber-900",
} as const;
