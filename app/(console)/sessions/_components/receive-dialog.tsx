"use client";
import Link from "next/link";
import { formatBytes, terminalToText } from "@/components/sessions/format";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import type { TReceiveResult } from "@/lib/dto/sessions";

export type ReceiveDialogProps = {
  session: { id: string; name: string; computerName: string };
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** null while the Receive is running. */
  result: TReceiveResult | null;
  failure: TActionFailure | null;
  /** Hides the "open terminal" link when already on the session's page. */
  onSessionPage?: boolean;
};

// Receive-PSSession's answer: the output produced while disconnected, in order, and how much
// the Drop mode discarded. Escapes are stripped: this is a transcript, not a live screen.
export function ReceiveDialog({ session, open, onOpenChange, result, failure, onSessionPage = false }: ReceiveDialogProps) {
  const text = result ? terminalToText(result.output) : "";
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      size="lg"
      title={`Output received from ${session.name} on ${session.computerName}`}
      description="The output you have not been shown yet (what the session produced while you were away), in order. The session is now connected to you."
      footer={
        <>
          {result && !onSessionPage ? (
            <Link href={`/sessions/${session.id}`} className="mr-auto self-center text-sm font-medium text-sky-700 underline">
              Open {session.name}&apos;s terminal
            </Link>
          ) : null}
          <Button variant="secondary" onClick={() => onOpenChange(false)}>
            Close
          </Button>
        </>
      }
    >
      {!result && !failure ? (
        <p role="status" className="text-sm text-slate-500">
          Receiving…
        </p>
      ) : null}
      <ActionError failure={failure} />
      {result ? (
        <>
          <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="receive-summary">
            <Badge tone="info">{formatBytes(result.outputBytes)} received</Badge>
            {result.outputBytes > 0 ? (
              <span className="text-xs text-slate-500">
                bytes {result.offset.toLocaleString("en-US")}–{(result.offset + result.outputBytes).toLocaleString("en-US")} of the session&apos;s output
              </span>
            ) : null}
            {result.droppedBytes > 0 ? (
              <Badge tone="warn">{result.droppedBytes.toLocaleString("en-US")} bytes dropped</Badge>
            ) : (
              <Badge tone="good">0 bytes dropped</Badge>
            )}
          </div>
          {result.droppedBytes > 0 ? (
            <Alert tone="info" className="border-amber-200 bg-amber-50 text-amber-900">
              The buffer filled up while nobody was connected and the session was in Drop mode:{" "}
              {result.droppedBytes.toLocaleString("en-US")} bytes of the oldest output were discarded. What follows is the newest output.
            </Alert>
          ) : null}
          <pre
            aria-label="Received output"
            tabIndex={0}
            className="max-h-96 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-5 whitespace-pre-wrap break-all text-slate-100"
          >
            {text || <span className="text-slate-500">(nothing new: your terminal has shown everything the session produced)</span>}
          </pre>
        </>
      ) : null}
    </Dialog>
  );
}
