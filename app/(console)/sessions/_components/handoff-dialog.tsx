"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { handOffSessionAction } from "@/app/(console)/sessions/actions";
import { ReasonDialog } from "@/components/sessions/reason-dialog";
import { FieldError, Input, Label } from "@/components/ui/input";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";
import { ZHandOffReason } from "@/lib/sessions/reason";

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
  const attached = session.agentState === "Opened";

  return (
    <ReasonDialog
      onOpenChange={onOpenChange}
      title={`Hand off ${session.name} on ${session.computerName}`}
      description={`The person you name may connect to it and carry on; both of you see each step, and it is audited.${attached ? " You are disconnected first; its commands keep running." : ""}`}
      schema={ZHandOffReason}
      placeholder="e.g. INC-4711: script fails on Srv1, please take a look"
      submitLabel="Hand off"
      pendingLabel="Handing off…"
      ready={!!to.trim()}
      fields={(fe) => (
        <div>
          <Label htmlFor={`${id}-to`}>Hand to (username)</Label>
          <Input id={`${id}-to`} className="mt-1" value={to} onChange={(e) => setTo(e.target.value)} autoComplete="off" aria-invalid={!!fe.toUsername} aria-describedby={`${id}-to-error`} />
          <FieldError id={`${id}-to-error`} messages={fe.toUsername} />
        </div>
      )}
      onSubmit={async (reason) => {
        const result = await handOffSessionAction({ sessionId: session.id, toUsername: to.trim(), reason });
        if (!result.ok) return result;
        await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
        return null;
      }}
    />
  );
}
