"use client";
import { useQueryClient } from "@tanstack/react-query";
import { takeOverSessionAction } from "@/app/(console)/sessions/actions";
import { ReasonDialog } from "@/components/sessions/reason-dialog";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";
import { ZTakeOverReason } from "@/lib/sessions/reason";

export type TakeOverDialogProps = { session: TSessionRow; open: boolean; onOpenChange: (open: boolean) => void };

// A manager connects to a session someone else is attached to: the other user is detached
// (their terminal closes and they are told why), the reason is recorded.
export function TakeOverDialog(props: TakeOverDialogProps) {
  if (!props.open) return null;
  return <TakeOverForm {...props} />;
}

function TakeOverForm({ session, onOpenChange }: TakeOverDialogProps) {
  const queryClient = useQueryClient();
  const holder = session.holderName ?? "another user";

  return (
    <ReasonDialog
      onOpenChange={onOpenChange}
      title={`Take over ${session.name} on ${session.computerName}?`}
      description={`${holder} is attached to it now. Taking over detaches ${holder} (their terminal closes and they are told who took it and why) and attaches you. Its commands keep running.`}
      schema={ZTakeOverReason}
      placeholder="e.g. INC-4711: the script is stuck and Tess is out"
      submitLabel="Take over"
      pendingLabel="Taking over…"
      variant="danger"
      onSubmit={async (reason) => {
        const result = await takeOverSessionAction({ sessionId: session.id, reason });
        if (!result.ok) return result;
        await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
        return null;
      }}
    />
  );
}
