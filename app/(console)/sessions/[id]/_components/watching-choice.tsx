"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { askBeforeWatchingAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Checkbox } from "@/components/ui/checkbox";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";

/**
 * Who may watch this session, said plainly to everyone; its owner or holder may choose "no
 * watching without asking" when the configuration allows holders to refuse watching.
 */
export function WatchingChoice({ session: s, allowed }: { session: Pick<TSessionRow, "id" | "name" | "askBeforeWatching" | "can">; allowed: boolean }) {
  const queryClient = useQueryClient();
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  // The box shows the choice being made while the action runs; the session's data has the last word.
  const [choosing, setChoosing] = useState<boolean | null>(null);
  const pending = choosing !== null;
  const toggle = async (ask: boolean) => {
    setFailure(null);
    setChoosing(ask);
    const result = await askBeforeWatchingAction({ sessionId: s.id, askBeforeWatching: ask });
    if (result.ok) await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
    else setFailure(result);
    setChoosing(null);
  };
  const said = s.askBeforeWatching
    ? "Watching: only when the holder agrees. Help desk, managers and admins ask first; the holder answers in their terminal."
    : "Watching: help desk, managers and admins may watch this session read-only; everyone sees who watches.";
  return (
    <div className="space-y-2 text-sm text-slate-600" data-testid="watching-choice">
      <p>{said}</p>
      {s.can.chooseWatching && (allowed || s.askBeforeWatching) ? (
        <label className="flex items-center gap-2 text-slate-800">
          <Checkbox checked={choosing ?? s.askBeforeWatching} disabled={pending} onChange={(e) => void toggle(e.currentTarget.checked)} />
          No watching without asking
        </label>
      ) : s.can.chooseWatching ? (
        <p className="text-xs text-slate-500">This session&apos;s configuration does not let holders refuse watching.</p>
      ) : null}
      <ActionError failure={failure} />
    </div>
  );
}
