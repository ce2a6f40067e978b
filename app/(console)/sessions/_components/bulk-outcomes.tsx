import { BulkReceived } from "@/app/(console)/sessions/_components/bulk-received";
import { StateBadge } from "@/components/sessions/state-badge";
import { Badge } from "@/components/ui/badge";
import { Progress } from "@/components/ui/progress";
import type { TBulkOperation, TBulkOutcome, TSessionStateName } from "@/lib/dto/sessions";

export type BulkOutcomesProps = { jobId: string | null; operation: TBulkOperation; total: number; done: number; outcomes: TBulkOutcome[]; finished: boolean };

export function BulkOutcomes({ jobId, operation, total, done, outcomes, finished }: BulkOutcomesProps) {
  const cancelled = outcomes.filter((o) => o.cancelled).length;
  const succeeded = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.length - succeeded - cancelled;
  // Failures first (they are what the user has to act on), then those never started, then the done.
  const rank = (o: TBulkOutcome) => (o.ok ? 2 : o.cancelled ? 1 : 0);
  const ordered = [...outcomes].sort((a, b) => rank(a) - rank(b));
  return (
    <div className="space-y-3">
      <Progress value={done} max={Math.max(total, 1)} tone={failed || cancelled ? "warn" : finished ? "good" : "info"} label={`Progress of bulk ${operation}`} valueText={`${done} of ${total} done`} className="h-3" />
      <p className="text-sm text-slate-700" role="status" aria-live="polite">
        {finished ? "Finished: " : "Working: "}
        {done} of {total} done · <span className="text-emerald-700">{succeeded} succeeded</span> · <span className={failed ? "font-medium text-red-700" : ""}>{failed} failed</span>
        {cancelled ? <span className="text-slate-600"> · {cancelled} cancelled</span> : null}
      </p>
      {ordered.length ? (
        <div className="max-h-[28rem] overflow-y-auto rounded-md border border-slate-200">
          <ul aria-label="Outcome per session" className="divide-y divide-slate-100 text-sm">
            {ordered.map((o) => (
              <li key={o.sessionId} className="flex flex-wrap items-center gap-2 px-3 py-1.5" data-outcome={o.ok ? "success" : o.cancelled ? "cancelled" : "failure"}>
                {o.ok ? <Badge tone="good">success</Badge> : o.cancelled ? <Badge tone="neutral">cancelled</Badge> : <Badge tone="bad">failed</Badge>}
                <span className="font-medium">{o.name}</span>
                <span className="text-slate-500">on {o.computerName}</span>
                {o.state ? <StateBadge state={o.state as TSessionStateName} /> : null}
                {o.error ? <span className={`basis-full text-xs ${o.cancelled ? "text-slate-600" : "text-red-700"}`}>{o.error}</span> : null}
                {operation === "receive" && o.ok && jobId ? <BulkReceived jobId={jobId} session={{ id: o.sessionId, name: o.name }} /> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
