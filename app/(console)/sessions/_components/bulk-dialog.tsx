"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, useTransition } from "react";
import { cancelBulkAction, previewBulkAction, startBulkAction } from "@/app/(console)/sessions/actions";
import { BulkOutcomes } from "@/app/(console)/sessions/_components/bulk-outcomes";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { PreviewList } from "@/components/sessions/preview-list";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Input, Label, Select } from "@/components/ui/input";
import type { TBulkOperation, TBulkOutcome, TBulkProgress, TPreviewItem, TSessionFilters } from "@/lib/dto/sessions";
import { parseDecimal } from "@/lib/protocol/hygiene";
import { queryKeys } from "@/lib/queries/keys";
import { useLiveEvent } from "@/lib/realtime/use-live-events";

export type TBulkSelection = { sessionIds: string[] } | { filters: TSessionFilters };

const VERB: Record<TBulkOperation, { label: string; doing: string }> = {
  disconnect: { label: "Disconnect", doing: "Disconnecting" },
  connect: { label: "Connect", doing: "Connecting" },
  receive: { label: "Receive", doing: "Receiving" },
  remove: { label: "Remove", doing: "Removing" },
};

const plural = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "session" : "sessions"}`;

type TJob = { jobId: string | null; total: number; done: number; outcomes: TBulkOutcome[]; finished: boolean };

export type BulkDialogProps = {
  operation: TBulkOperation | null;
  selection: TBulkSelection;
  throttleLimit: number | undefined;
  onClose: (finished: boolean) => void;
};

// Preview ("what if") → confirm → progress and per-session outcomes, fed by bulk.progress events.
export function BulkDialog({ operation, selection, throttleLimit, onClose }: BulkDialogProps) {
  if (!operation) return null;
  return <BulkFlow operation={operation} selection={selection} throttleLimit={throttleLimit} onClose={onClose} />;
}

function BulkFlow({ operation, selection, throttleLimit, onClose }: Omit<BulkDialogProps, "operation"> & { operation: TBulkOperation }) {
  const id = useId();
  const queryClient = useQueryClient();
  const verb = VERB[operation];
  const [preview, setPreview] = useState<TPreviewItem[] | null>(null);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [idle, setIdle] = useState("");
  const [mode, setMode] = useState<"" | "Block" | "Drop" | "None">("");
  const [job, setJob] = useState<TJob | null>(null);
  const [pending, startTransition] = useTransition();
  // Progress may arrive before startBulkAction's answer names the job: hold it until then.
  const early = useRef<TBulkProgress[]>([]);
  const jobId = useRef<string | null>(null);

  useEffect(() => {
    let live = true;
    void previewBulkAction({ operation, ...selection }).then((r) => {
      if (!live) return;
      if (r.ok) setPreview(r.data);
      else setFailure(r);
    });
    return () => {
      live = false;
    };
  }, [operation, selection]);

  const apply = (p: TBulkProgress) =>
    setJob((j) => (j ? { ...j, total: p.total, done: Math.max(j.done, p.done), outcomes: [...j.outcomes, ...p.outcomes], finished: j.finished || p.finished } : j));

  useLiveEvent((e) => {
    if (e.type !== "bulk.progress") return;
    const p = e as TBulkProgress;
    if (jobId.current === null) early.current.push(p);
    else if (p.jobId === jobId.current) apply(p);
  });

  useEffect(() => {
    if (job?.finished) void queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
  }, [job?.finished, queryClient]);

  const start = () =>
    startTransition(async () => {
      setFailure(null);
      const idleTimeoutSec = operation === "disconnect" && idle.trim() ? parseDecimal(idle) : undefined;
      const outputBufferingMode = operation === "disconnect" && mode ? mode : undefined;
      setJob({ jobId: null, total: preview?.length ?? 0, done: 0, outcomes: [], finished: false });
      const r = await startBulkAction({ operation, ...selection, throttleLimit, idleTimeoutSec, outputBufferingMode });
      if (!r.ok) {
        setJob(null);
        return setFailure(r);
      }
      jobId.current = r.data.jobId;
      setJob({ jobId: r.data.jobId, total: r.data.total, done: 0, outcomes: [], finished: r.data.total === 0 });
      for (const p of early.current.splice(0)) if (p.jobId === r.data.jobId) apply(p);
    });

  // Targets not yet started report "cancelled"; those already sent to a computer finish.
  const [cancelling, setCancelling] = useState(false);
  const cancel = async () => {
    if (!job?.jobId) return;
    setCancelling(true);
    const r = await cancelBulkAction({ jobId: job.jobId });
    if (!r.ok) {
      setCancelling(false);
      setFailure(r);
    }
  };

  const count = preview?.length ?? 0;
  const actionable = preview?.filter((p) => p.resultingState !== null).length ?? 0;
  const running = job !== null && !job.finished;
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && !running && onClose(!!job?.finished)}
      size="lg"
      title={job ? (job.finished ? `${verb.label} ${plural(job.total)}: ${job.outcomes.some((o) => o.cancelled) ? "cancelled" : "finished"}` : `${verb.doing} ${plural(job.total)}…`) : preview ? `${verb.label} ${plural(count)}?` : `${verb.label} sessions?`}
      description={
        job
          ? `At most ${(throttleLimit ?? 32).toLocaleString("en-US")} ${(throttleLimit ?? 32) === 1 ? "request" : "requests"} to computers at once. One session's failure does not stop the others.`
          : "Check what would happen to each session before confirming."
      }
      footer={
        job ? (
          <>
            {running && job.jobId ? (
              <Button variant="danger" onClick={cancel} disabled={cancelling}>
                {cancelling ? "Cancelling…" : "Cancel the rest"}
              </Button>
            ) : null}
            <Button variant="secondary" onClick={() => onClose(job.finished)} disabled={running}>
              {running ? "Working…" : "Close"}
            </Button>
          </>
        ) : (
          <>
            <Button variant="secondary" onClick={() => onClose(false)} disabled={pending}>
              Cancel
            </Button>
            <Button variant={operation === "remove" ? "danger" : "primary"} onClick={start} disabled={pending || !preview || actionable === 0}>
              {verb.label} {plural(count)}
            </Button>
          </>
        )
      }
    >
      {job ? (
        <BulkOutcomes jobId={job.jobId} operation={operation} total={job.total} done={job.done} outcomes={job.outcomes} finished={job.finished} />
      ) : preview ? (
        <>
          <PreviewList items={preview} label={`What ${operation} would do`} />
          {operation === "disconnect" ? (
            <div className="flex flex-wrap gap-4">
              <div>
                <Label htmlFor={`${id}-idle`}>Idle timeout (seconds)</Label>
                <Input id={`${id}-idle`} type="number" min={60} inputMode="numeric" value={idle} onChange={(e) => setIdle(e.target.value)} placeholder="each session's own" className="mt-1 w-44" />
                <p className="mt-1 text-xs text-slate-500">IdleTimeoutSec, at least 60; each configuration sets its maximum.</p>
              </div>
              <div>
                <Label htmlFor={`${id}-mode`}>Output buffering mode</Label>
                <Select id={`${id}-mode`} value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} className="mt-1 w-56">
                  <option value="">Keep each session&apos;s</option>
                  <option value="Block">Block</option>
                  <option value="Drop">Drop</option>
                  <option value="None">None (configuration&apos;s mode)</option>
                </Select>
              </div>
            </div>
          ) : null}
        </>
      ) : failure ? null : (
        <p role="status" className="text-sm text-slate-500">
          Checking what would happen…
        </p>
      )}
      <ActionError failure={failure} />
    </Dialog>
  );
}
