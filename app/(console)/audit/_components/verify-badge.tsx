"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { auditVerifyQuery } from "@/lib/queries/audit";
import { useLiveEvent } from "@/lib/realtime/use-live-events";
import { cn } from "@/lib/utils/cn";
import { count, utc } from "@/app/(console)/audit/_components/format";

// The chain's verdict, prominent: intact with its length, or the first broken link by number.
// It runs after the page has loaded (a full verification reads every event) and again on request.
export function VerifyBadge() {
  const { data, error, isFetching, refetch } = useQuery(auditVerifyQuery());
  const [head, setHead] = useState(0);
  useLiveEvent((e) => {
    if (e.type === "audit.appended") setHead((h) => Math.max(h, e.seq));
  });
  const since = data?.ok && head > data.count ? head - data.count : 0;

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
          {!data && !error
            ? "Verifying the hash chain…"
            : error
              ? `Could not verify the chain: ${error.message}`
              : data?.ok
                ? `Chain intact: ${count(data.count)} events`
                : data
                  ? `Chain broken at #${data.brokenAt}: ${data.reason}`
                  : null}
        </p>
        <p className="text-xs text-slate-600">
          {data
            ? `Every event re-hashed and linked to its predecessor, ${utc(data.checkedAt)} UTC, in ${(data.durationMs / 1000).toFixed(1)} s.` +
              (data.ok ? "" : ` ${count(data.count)} events before it verified.`) +
              (since ? ` ${count(since)} event${since === 1 ? "" : "s"} appended since.` : "")
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
