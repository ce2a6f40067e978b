"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { DisconnectDialog } from "@/app/(console)/sessions/_components/disconnect-dialog";
import { HandoffDialog } from "@/app/(console)/sessions/_components/handoff-dialog";
import { ReceiveDialog } from "@/app/(console)/sessions/_components/receive-dialog";
import { RemoveDialog } from "@/app/(console)/sessions/_components/remove-dialog";
import { TakeOverDialog } from "@/app/(console)/sessions/_components/take-over-dialog";
import { connectSessionAction, receiveSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Button } from "@/components/ui/button";
import type { TReceiveResult, TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";
import { cn } from "@/lib/utils/cn";

export type SessionActionsProps = {
  session: TSessionRow;
  /** The list's compact form: small buttons, and Receive only where there is something to collect. */
  compact?: boolean;
  minIdleTimeoutSec?: number;
  size?: "sm" | "md";
  className?: string;
};

// The per-session actions the viewer may take now (row.can, computed by the server, which
// checks again on every action). Nothing is rendered for a viewer who may not act.
export function SessionActions({ session, compact = false, minIdleTimeoutSec, size = "sm", className }: SessionActionsProps) {
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<"disconnect" | "remove" | "receive" | "handoff" | "takeOver" | null>(null);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [received, setReceived] = useState<{ result: TReceiveResult | null; failure: TActionFailure | null }>({ result: null, failure: null });
  const [pending, startTransition] = useTransition();
  const [busy, setBusy] = useState<"connect" | "receive" | null>(null);
  const on = `${session.name} on ${session.computerName}`;
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });

  const connect = () =>
    startTransition(async () => {
      setBusy("connect");
      setFailure(null);
      const result = await connectSessionAction({ sessionId: session.id });
      setBusy(null);
      if (!result.ok) return setFailure(result);
      await refresh();
    });

  const receive = () =>
    startTransition(async () => {
      setBusy("receive");
      setFailure(null);
      setReceived({ result: null, failure: null });
      setDialog("receive");
      const result = await receiveSessionAction({ sessionId: session.id });
      setBusy(null);
      setReceived(result.ok ? { result: result.data, failure: null } : { result: null, failure: result });
      if (result.ok) await refresh();
    });

  const { can } = session;
  // In the list, Receive is offered where output waits for it: a session that is not attached
  // to anyone. An attached session's output goes to its terminal (its page still offers Receive).
  const canReceive = can.receive && (!compact || session.agentState !== "Opened");
  // Handing off is offered on the session's page, where the context for a reason is.
  const canHandOff = can.handoff && !compact;
  const any = can.disconnect || can.connect || canReceive || can.remove || canHandOff || can.takeOver;
  if (!any) return null;
  const btn = compact ? "h-7 px-2 text-xs" : undefined;
  return (
    <div className={cn("flex flex-col items-end gap-1", className)}>
      <div className={cn("flex justify-end gap-1", compact ? "flex-nowrap" : "flex-wrap")}>
        {can.disconnect ? (
          <Button size={size} className={btn} variant="secondary" aria-label={`Disconnect ${on}`} onClick={() => setDialog("disconnect")} disabled={pending}>
            Disconnect
          </Button>
        ) : null}
        {can.connect ? (
          <Button size={size} className={btn} variant="secondary" aria-label={`Connect ${on}`} onClick={connect} disabled={pending}>
            {busy === "connect" ? "Connecting…" : "Connect"}
          </Button>
        ) : null}
        {canReceive ? (
          <Button size={size} className={btn} variant="secondary" aria-label={`Receive ${on}`} onClick={receive} disabled={pending}>
            {busy === "receive" ? "Receiving…" : "Receive"}
          </Button>
        ) : null}
        {can.takeOver ? (
          <Button size={size} className={btn} variant="secondary" aria-label={`Take over ${on}`} onClick={() => setDialog("takeOver")} disabled={pending}>
            Take over
          </Button>
        ) : null}
        {canHandOff ? (
          <Button size={size} className={btn} variant="secondary" aria-label={`Hand off ${on}`} onClick={() => setDialog("handoff")} disabled={pending}>
            Hand off
          </Button>
        ) : null}
        {can.remove ? (
          <Button size={size} variant="ghost" className={cn("text-red-700 hover:bg-red-50", btn)} aria-label={`Remove ${on}`} onClick={() => setDialog("remove")} disabled={pending}>
            Remove
          </Button>
        ) : null}
      </div>
      <ActionError failure={failure} className="max-w-sm text-left text-xs" />
      <DisconnectDialog
        session={session}
        open={dialog === "disconnect"}
        onOpenChange={(o) => setDialog(o ? "disconnect" : null)}
        minIdleTimeoutSec={minIdleTimeoutSec}
      />
      <TakeOverDialog session={session} open={dialog === "takeOver"} onOpenChange={(o) => setDialog(o ? "takeOver" : null)} />
      <HandoffDialog session={session} open={dialog === "handoff"} onOpenChange={(o) => setDialog(o ? "handoff" : null)} />
      <RemoveDialog session={session} open={dialog === "remove"} onOpenChange={(o) => setDialog(o ? "remove" : null)} />
      <ReceiveDialog
        session={session}
        open={dialog === "receive"}
        onOpenChange={(o) => setDialog(o ? "receive" : null)}
        result={received.result}
        failure={received.failure}
        onSessionPage={!compact}
      />
    </div>
  );
}
