"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useTransition } from "react";
import { previewBulkAction, removeSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { PreviewList } from "@/components/sessions/preview-list";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import type { TPreviewItem, TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";

export type RemoveDialogProps = {
  session: Pick<TSessionRow, "id" | "name" | "computerName" | "runningCommand">;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDone?: (row: TSessionRow) => void;
};

// Remove-PSSession -Confirm: the "what if" first, then an explicit second click.
export function RemoveDialog({ session, open, onOpenChange, onDone }: RemoveDialogProps) {
  const queryClient = useQueryClient();
  const [preview, setPreview] = useState<TPreviewItem[] | null>(null);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();

  useEffect(() => {
    if (!open) return;
    let live = true;
    setPreview(null);
    setFailure(null);
    void previewBulkAction({ operation: "remove", sessionIds: [session.id] }).then((r) => {
      if (!live) return;
      if (r.ok) setPreview(r.data);
      else setFailure(r);
    });
    return () => {
      live = false;
    };
  }, [open, session.id]);

  const confirm = () =>
    startTransition(async () => {
      setFailure(null);
      const result = await removeSessionAction({ sessionId: session.id });
      if (!result.ok) return setFailure(result);
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
      onOpenChange(false);
      onDone?.(result.data);
    });

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      size="lg"
      title={`Remove ${session.name} on ${session.computerName}?`}
      description="Removing ends the shell and every process it started. Output not yet received is lost. This cannot be undone."
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button variant="danger" onClick={confirm} disabled={pending || !preview}>
            {pending ? "Removing…" : "Remove session"}
          </Button>
        </>
      }
    >
      {preview ? (
        <PreviewList items={preview} label={`What removing ${session.name} would do`} />
      ) : failure ? null : (
        <p className="text-sm text-slate-500" role="status">
          Checking what removing would do…
        </p>
      )}
      <ActionError failure={failure} />
    </Dialog>
  );
}
