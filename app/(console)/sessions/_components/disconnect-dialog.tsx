"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, useTransition } from "react";
import { disconnectSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { formatDuration } from "@/components/sessions/format";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { Input, Label, Select } from "@/components/ui/input";
import type { TSessionRow } from "@/lib/dto/sessions";
import { parseDecimal } from "@/lib/protocol/hygiene";
import { queryKeys } from "@/lib/queries/keys";

export const MIN_IDLE_TIMEOUT_SEC = 60;

export type DisconnectDialogProps = {
  session: TSessionRow;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDone?: (row: TSessionRow) => void;
  /** The configuration's minimum, when the page knows it (defaults to PowerShell's 60 s). */
  minIdleTimeoutSec?: number;
};

// Disconnect-PSSession: IdleTimeoutSec and OutputBufferingMode, with the configuration's range
// shown up front, and Example 4's way out when the session's timeout is above the maximum.
export function DisconnectDialog({ session, open, onOpenChange, onDone, minIdleTimeoutSec = MIN_IDLE_TIMEOUT_SEC }: DisconnectDialogProps) {
  const queryClient = useQueryClient();
  const id = useId();
  const [idle, setIdle] = useState(String(session.idleTimeoutSec));
  const [mode, setMode] = useState<"" | "Block" | "Drop" | "None">("");
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const max = session.maxIdleTimeoutSec;
  const value = parseDecimal(idle);
  const outOfRange = idle !== "" && Number.isFinite(value) && (value < minIdleTimeoutSec || (max !== null && value > max));
  const range =
    max === null
      ? `at least ${minIdleTimeoutSec} seconds (its maximum is not known yet)`
      : `${minIdleTimeoutSec} to ${max} seconds (${formatDuration(minIdleTimeoutSec)} to ${formatDuration(max)})`;
  const showUseMax = max !== null && (session.idleTimeoutExceedsMax || failure !== null) && value !== max;

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      // Left at the session's own value, the parameter is omitted, as in `Disconnect-PSSession -Session $s`.
      const idleTimeoutSec = idle.trim() === "" || value === session.idleTimeoutSec ? undefined : value;
      const result = await disconnectSessionAction({ sessionId: session.id, idleTimeoutSec, outputBufferingMode: mode || undefined });
      if (!result.ok) return setFailure(result);
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
      onOpenChange(false);
      onDone?.(result.data);
    });

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Disconnect ${session.name} on ${session.computerName}`}
      description="The shell and its commands keep running on the computer. You or someone allowed can connect again later, from any browser."
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button onClick={submit} disabled={pending}>
            {pending ? "Disconnecting…" : "Disconnect"}
          </Button>
        </>
      }
    >
      {session.idleTimeoutExceedsMax && max !== null ? (
        <Alert tone="info" className="border-amber-200 bg-amber-50 text-amber-900">
          <p className="font-medium">This session&apos;s idle timeout is above what its configuration now allows.</p>
          <p className="mt-1">
            {session.name} was created with an idle timeout of {session.idleTimeoutSec} seconds ({formatDuration(session.idleTimeoutSec)}), but{" "}
            {session.configurationName} on {session.computerName} now allows at most {max} seconds ({formatDuration(max)}). The idle timeout is only
            used once a session is disconnected, so this went unnoticed until now: disconnecting with it will be refused. Choose a value within the
            range, for example the largest allowed.
          </p>
        </Alert>
      ) : null}
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div>
          <Label htmlFor={`${id}-idle`}>Idle timeout (seconds)</Label>
          <div className="mt-1 flex flex-wrap items-center gap-2">
            <Input
              id={`${id}-idle`}
              type="number"
              inputMode="numeric"
              min={minIdleTimeoutSec}
              max={max ?? undefined}
              value={idle}
              onChange={(e) => setIdle(e.target.value)}
              aria-invalid={outOfRange}
              aria-describedby={`${id}-idle-hint`}
              className="w-40"
            />
            {showUseMax ? (
              <Button variant="secondary" size="sm" onClick={() => setIdle(String(max))}>
                Use the largest allowed value ({max})
              </Button>
            ) : null}
          </div>
          <p id={`${id}-idle-hint`} className="mt-1 text-xs text-slate-500">
            IdleTimeoutSec: how long the session may stay disconnected before the computer ends it. {session.configurationName} allows {range}. This
            session: {session.idleTimeoutSec} s ({formatDuration(session.idleTimeoutSec)}).
          </p>
        </div>
        <div>
          <Label htmlFor={`${id}-mode`}>Output buffering mode</Label>
          <Select id={`${id}-mode`} value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} className="mt-1 w-full" aria-describedby={`${id}-mode-hint`}>
            <option value="">Keep the session&apos;s ({session.outputBufferingMode})</option>
            <option value="Block">Block: pause the command when the buffer is full</option>
            <option value="Drop">Drop: keep the newest output, drop the oldest</option>
            <option value="None">None: use the configuration&apos;s mode</option>
          </Select>
          <p id={`${id}-mode-hint`} className="mt-1 text-xs text-slate-500">
            OutputBufferingMode. What happens to output produced while nobody is connected once the buffer is full.
          </p>
        </div>
        <button type="submit" hidden />
      </form>
      <ActionError failure={failure} />
    </Dialog>
  );
}
