"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, useTransition } from "react";
import { handOffSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FieldError, Input, Label } from "@/components/ui/input";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";

export type HandoffDialogProps = { session: TSessionRow; open: boolean; onOpenChange: (open: boolean) => void };

// Hands the right to connect to a named user, with a reason, without sharing credentials.
export function HandoffDialog(props: HandoffDialogProps) {
  if (!props.open) return null;
  return <HandoffForm {...props} />;
}

function HandoffForm({ session, onOpenChange }: HandoffDialogProps) {
  const id = useId();
  const queryClient = useQueryClient();
  const [to, setTo] = useState("");
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const fe = failure?.fieldErrors ?? {};
  const attached = session.agentState === "Opened";

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      const result = await handOffSessionAction({ sessionId: session.id, toUsername: to.trim(), reason: reason.trim() });
      if (!result.ok) return setFailure(result);
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
      onOpenChange(false);
    });

  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      title={`Hand off ${session.name} on ${session.computerName}`}
      description={`The person you name may connect to it and carry on; both of you see each step, and it is audited.${attached ? " You are disconnected first; its commands keep running." : ""}`}
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={`${id}-form`} disabled={pending || !to.trim() || !reason.trim()}>
            {pending ? "Handing off…" : "Hand off"}
          </Button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div>
          <Label htmlFor={`${id}-to`}>Hand to (username)</Label>
          <Input id={`${id}-to`} className="mt-1" value={to} onChange={(e) => setTo(e.target.value)} autoComplete="off" aria-invalid={!!fe.toUsername} aria-describedby={`${id}-to-error`} />
          <FieldError id={`${id}-to-error`} messages={fe.toUsername} />
        </div>
        <div>
          <Label htmlFor={`${id}-reason`}>Reason</Label>
          <textarea
            id={`${id}-reason`}
            rows={3}
            className="mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-xs focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 focus:outline-none aria-[invalid=true]:border-red-500"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. INC-4711: script fails on Srv1, please take a look"
            aria-invalid={!!fe.reason}
            aria-describedby={`${id}-reason-error`}
          />
          <FieldError id={`${id}-reason-error`} messages={fe.reason} />
        </div>
      </form>
      <ActionError failure={failure} />
    </Dialog>
  );
}
