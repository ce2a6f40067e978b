"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, useTransition } from "react";
import { takeOverSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FieldError, Label } from "@/components/ui/input";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";

export type TakeOverDialogProps = { session: TSessionRow; open: boolean; onOpenChange: (open: boolean) => void };

// A manager connects to a session someone else is attached to: the other user is detached
// (their terminal closes and they are told why), the reason is recorded.
export function TakeOverDialog(props: TakeOverDialogProps) {
  if (!props.open) return null;
  return <TakeOverForm {...props} />;
}

function TakeOverForm({ session, onOpenChange }: TakeOverDialogProps) {
  const id = useId();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const holder = session.holderName ?? "another user";

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      const result = await takeOverSessionAction({ sessionId: session.id, reason: reason.trim() });
      if (!result.ok) return setFailure(result);
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
      onOpenChange(false);
    });

  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      title={`Take over ${session.name} on ${session.computerName}?`}
      description={`${holder} is attached to it now. Taking over detaches ${holder} (their terminal closes and they are told who took it and why) and attaches you. Its commands keep running.`}
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button variant="danger" type="submit" form={`${id}-form`} disabled={pending || !reason.trim()}>
            {pending ? "Taking over…" : "Take over"}
          </Button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Label htmlFor={`${id}-reason`}>Reason</Label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          className="mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-xs focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 focus:outline-none aria-[invalid=true]:border-red-500"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. INC-4711: the script is stuck and Tess is out"
          aria-invalid={!!failure?.fieldErrors?.reason}
          aria-describedby={`${id}-reason-error`}
        />
        <FieldError id={`${id}-reason-error`} messages={failure?.fieldErrors?.reason} />
      </form>
      <ActionError failure={failure} />
    </Dialog>
  );
}
