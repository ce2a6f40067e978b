"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { cancelBulkAction } from "@/app/(console)/sessions/actions";
import { BulkOutcomes } from "@/app/(console)/sessions/_components/bulk-outcomes";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import type { TBulkJobView } from "@/lib/dto/sessions";
import { jobsListQuery } from "@/lib/queries/jobs";
import { queryKeys } from "@/lib/queries/keys";
import { useLiveEvent } from "@/lib/realtime/use-live-events";

const OPERATION: Record<TBulkJobView["operation"], string> = { disconnect: "Disconnect", connect: "Connect", receive: "Receive", remove: "Remove" };
const time = (iso: string) => new Date(iso).toLocaleTimeString("en-GB");

function parameters(j: TBulkJobView): string {
  const p = [`ThrottleLimit ${j.throttleLimit}`];
  if (j.idleTimeoutSec !== null) p.push(`IdleTimeoutSec ${j.idleTimeoutSec}`);
  if (j.outputBufferingMode) p.push(`OutputBufferingMode ${j.outputBufferingMode}`);
  return p.join(" · ");
}

function JobCard({ job }: { job: TBulkJobView }) {
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const label = `${OPERATION[job.operation]} of ${job.total} session${job.total === 1 ? "" : "s"}`;
  const cancel = async () => {
    setCancelling(true);
    setFailure(null);
    const r = await cancelBulkAction({ jobId: job.jobId });
    if (!r.ok) {
      setCancelling(false);
      setFailure(r);
    }
  };
  return (
    <Card className="space-y-3" role="region" aria-label={`Job: ${label}, started ${time(job.startedAt)}`} data-job-id={job.jobId}>
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="text-sm font-semibold text-slate-900">{label}</h2>
        {job.finished ? (
          job.cancelled ? <Badge tone="warn">cancelled</Badge> : <Badge tone="good">finished</Badge>
        ) : (
          <Badge tone="info">running</Badge>
        )}
        <span className="text-xs text-slate-500">
          by {job.actorName} · started {time(job.startedAt)}
          {job.finishedAt ? ` · finished ${time(job.finishedAt)}` : ""} · {parameters(job)}
        </span>
        <div className="ml-auto flex gap-2">
          {job.operation === "receive" && job.receivedSessions > 0 ? (
            <a
              href={`/api/jobs/${job.jobId}/archive`}
              download
              className="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50"
            >
              Download output (.tar, {job.receivedSessions} session{job.receivedSessions === 1 ? "" : "s"})
            </a>
          ) : null}
          {!job.finished ? (
            <Button size="sm" variant="secondary" onClick={() => void cancel()} disabled={cancelling}>
              {cancelling ? "Cancelling…" : "Cancel job"}
            </Button>
          ) : null}
        </div>
      </div>
      {job.operation === "receive" && !job.outputKept ? (
        <p className="text-xs text-slate-600">
          This job&apos;s output is no longer kept: a console keeps the output of its own recent jobs until it restarts, and this one ran on another console instance, before a
          restart, or longer ago. Each session&apos;s transcript has its output.
        </p>
      ) : null}
      {/* Without its output kept here, no "Show output" per session: it could only say so. */}
      <BulkOutcomes jobId={job.outputKept ? job.jobId : null} operation={job.operation} total={job.total} done={job.done} outcomes={job.outcomes} finished={job.finished} />
      <ActionError failure={failure} />
    </Card>
  );
}

export function JobsClient({ initialJobs }: { initialJobs: TBulkJobView[] }) {
  const queryClient = useQueryClient();
  const { data: jobs, error } = useQuery(jobsListQuery(initialJobs));
  // Progress events are coalesced (a few per second): each refreshes the list.
  useLiveEvent((e) => {
    if (e.type === "bulk.progress") void queryClient.invalidateQueries({ queryKey: queryKeys.jobs.all });
  });
  return (
    <div className="space-y-4">
      {error ? <Alert>Could not refresh the jobs: {error.message}</Alert> : null}
      {jobs.length === 0 ? (
        <p className="text-sm text-slate-600">No bulk jobs yet. Select sessions on the Sessions page and choose Disconnect, Connect, Receive or Remove.</p>
      ) : (
        jobs.map((j) => <JobCard key={j.jobId} job={j} />)
      )}
    </div>
  );
}
