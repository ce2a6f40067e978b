"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { runCommandAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input, Label } from "@/components/ui/input";
import type { TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";

// Invoke-Command -Session: one command line, run in the session's shell (its cwd and
// variables stay). "Run and disconnect" is -InDisconnectedSession.
export function RunCommandForm({ session }: { session: TSessionRow }) {
  const queryClient = useQueryClient();
  const [command, setCommand] = useState("");
  const [detach, setDetach] = useState(false);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      setStarted(null);
      const result = await runCommandAction({ sessionId: session.id, command, inDisconnectedSession: detach || undefined });
      if (!result.ok) return setFailure(result);
      setStarted(detach ? `Started and disconnected: ${command}` : `Started: ${command}`);
      setCommand("");
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
    });

  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (command.trim()) submit();
      }}
    >
      <Label htmlFor="run-command">Command to run</Label>
      <div className="flex flex-wrap items-center gap-3">
        <Input
          id="run-command"
          className="min-w-64 flex-1 font-mono"
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          placeholder="e.g. ./Get-PatchStatus.sh"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={!!failure?.fieldErrors?.command}
        />
        <label className="inline-flex items-center gap-2 text-sm text-slate-700">
          <Checkbox checked={detach} onChange={(e) => setDetach(e.target.checked)} />
          Run and disconnect at once
        </label>
        <Button type="submit" disabled={pending || !command.trim()}>
          {pending ? "Starting…" : detach ? "Run and disconnect" : "Run"}
        </Button>
      </div>
      <p className="text-xs text-slate-500">
        Runs in {session.name}&apos;s shell, which keeps its directory and variables between commands; output appears in the terminal. With
        &quot;disconnect at once&quot; the command keeps running and its output waits in the buffer for a Receive.
      </p>
      {started ? (
        <p role="status" className="text-sm text-emerald-700">
          {started}
        </p>
      ) : null}
      <ActionError failure={failure} />
    </form>
  );
}
