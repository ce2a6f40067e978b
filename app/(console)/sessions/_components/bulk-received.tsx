"use client";
import { useState, useTransition } from "react";
import { bulkReceivedAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { formatBytes, terminalToText } from "@/components/sessions/format";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import type { TBulkReceivedView } from "@/lib/dto/sessions";

// One session's output from a bulk Receive, read on demand from the job the console keeps.
export function BulkReceived({ jobId, session }: { jobId: string; session: { id: string; name: string } }) {
  const [open, setOpen] = useState(false);
  const [got, setGot] = useState<TBulkReceivedView | null>(null);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const toggle = () => {
    if (open) return setOpen(false);
    setOpen(true);
    if (got) return;
    startTransition(async () => {
      const r = await bulkReceivedAction({ jobId, sessionId: session.id });
      if (r.ok) setGot(r.data);
      else setFailure(r);
    });
  };
  return (
    <div className="basis-full">
      <Button variant="secondary" size="sm" onClick={toggle} aria-expanded={open} aria-label={`${open ? "Hide" : "Show"} output of ${session.name}`}>
        {open ? "Hide output" : "Show output"}
      </Button>
      {open ? (
        <div className="mt-2 space-y-2">
          {pending ? <p className="text-xs text-slate-500">Loading…</p> : null}
          <ActionError failure={failure} />
          {got ? (
            <>
              <div className="flex flex-wrap gap-2 text-xs">
                <Badge tone="info">{formatBytes(got.outputBytes)} received</Badge>
                {got.droppedBytes > 0 ? <Badge tone="warn">{got.droppedBytes.toLocaleString("en-US")} bytes dropped</Badge> : <Badge tone="good">0 bytes dropped</Badge>}
                {got.omittedBytes > 0 ? (
                  <span className="text-slate-500">only the newest {formatBytes(got.outputBytes - got.omittedBytes)} kept here; the session&apos;s transcript has all of it</span>
                ) : null}
              </div>
              <pre
                aria-label={`Output received from ${session.name}`}
                tabIndex={0}
                className="max-h-64 overflow-auto rounded-md bg-slate-950 p-2 font-mono text-xs leading-5 whitespace-pre-wrap break-all text-slate-100"
              >
                {terminalToText(got.output) || <span className="text-slate-500">(nothing new)</span>}
              </pre>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
