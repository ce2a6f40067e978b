"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, useTransition } from "react";
import { updateConfigurationAction } from "@/app/(console)/computers/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { formatBytes, formatDuration } from "@/components/sessions/format";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FieldError, Input, Label, Select } from "@/components/ui/input";
import type { TConfigurationRow } from "@/lib/dto/computers";
import { parseDecimal } from "@/lib/protocol/hygiene";
import { queryKeys } from "@/lib/queries/keys";

type TNumericLimit = "idleTimeoutMs" | "maxIdleTimeoutMs" | "outputBufferBytes" | "maxShells" | "maxShellsPerUser" | "maxConcurrentUsers" | "maxMemoryPerShellMB" | "maxProcessesPerShell";

// Labels are Get-PSSessionConfiguration's property names; the hint reads the number back.
const FIELDS: { key: TNumericLimit; label: string; hint: (n: number) => string }[] = [
  { key: "idleTimeoutMs", label: "IdleTimeoutMs", hint: (n) => `default idle timeout of new sessions: ${formatDuration(n / 1000)}` },
  { key: "maxIdleTimeoutMs", label: "MaxIdleTimeoutMs", hint: (n) => `largest idle timeout a session may have: ${formatDuration(n / 1000)} (${Math.floor(n / 1000)} s)` },
  { key: "outputBufferBytes", label: "Output buffer (bytes)", hint: (n) => formatBytes(n) },
  { key: "maxShells", label: "MaxShells", hint: () => "live sessions on this configuration" },
  { key: "maxShellsPerUser", label: "MaxShellsPerUser", hint: () => "live sessions one user may own" },
  { key: "maxConcurrentUsers", label: "MaxConcurrentUsers", hint: () => "distinct users with live sessions" },
  { key: "maxMemoryPerShellMB", label: "MaxMemoryPerShellMB", hint: (n) => `${n.toLocaleString("en-US")} MB per shell` },
  { key: "maxProcessesPerShell", label: "MaxProcessesPerShell", hint: () => "processes (and threads) per shell" },
];

export type EditLimitsDialogProps = { computerId: string; computerName: string; configuration: TConfigurationRow; open: boolean; onOpenChange: (open: boolean) => void };

// Set-PSSessionConfiguration: only changed limits are sent. Running sessions keep running;
// the new limits apply to the next operation (a lowered MaxIdleTimeoutMs shows at disconnect).
export function EditLimitsDialog(props: EditLimitsDialogProps) {
  if (!props.open) return null;
  return <EditLimitsForm {...props} />;
}

function EditLimitsForm({ computerId, computerName, configuration: c, onOpenChange }: EditLimitsDialogProps) {
  const id = useId();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<TNumericLimit, string>>(() => Object.fromEntries(FIELDS.map((f) => [f.key, String(c[f.key])])) as Record<TNumericLimit, string>);
  const [mode, setMode] = useState(c.outputBufferingMode);
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const fe = failure?.fieldErrors ?? {};

  const changed: Partial<Record<TNumericLimit, number>> = {};
  for (const f of FIELDS) if (values[f.key].trim() !== "" && parseDecimal(values[f.key]) !== c[f.key]) changed[f.key] = parseDecimal(values[f.key]);
  const limits = { ...changed, ...(mode !== c.outputBufferingMode ? { outputBufferingMode: mode } : {}) };
  const nothing = Object.keys(limits).length === 0;

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      const result = await updateConfigurationAction({ computerId, configurationName: c.name, limits });
      if (!result.ok) return setFailure(result);
      await Promise.all([queryClient.invalidateQueries({ queryKey: queryKeys.computers.all }), queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all })]);
      onOpenChange(false);
    });

  const fieldError = (key: string) => fe[key] ?? fe[`limits.${key}`];
  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      size="lg"
      title={`Edit limits of ${c.name} on ${computerName}`}
      description="Applies to new operations at once. Running sessions keep running; a session whose idle timeout is above a lowered maximum is flagged and must pick a smaller one to disconnect."
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={`${id}-form`} disabled={pending || nothing}>
            {pending ? "Saving…" : "Save limits"}
          </Button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        noValidate
        className="grid gap-4 sm:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!nothing) submit();
        }}
      >
        {FIELDS.map((f) => {
          const n = Number(values[f.key]);
          return (
            <div key={f.key}>
              <Label htmlFor={`${id}-${f.key}`}>{f.label}</Label>
              <Input
                id={`${id}-${f.key}`}
                type="number"
                inputMode="numeric"
                min={1}
                className="mt-1"
                value={values[f.key]}
                onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
                aria-invalid={!!fieldError(f.key)}
                aria-describedby={`${id}-${f.key}-hint`}
              />
              <p id={`${id}-${f.key}-hint`} className="mt-1 text-xs text-slate-500">
                {Number.isFinite(n) && n > 0 ? f.hint(n) : "a positive whole number"}
                {changed[f.key] !== undefined ? <span className="font-medium text-sky-700"> · was {c[f.key].toLocaleString("en-US")}</span> : null}
              </p>
              <FieldError id={`${id}-${f.key}-error`} messages={fieldError(f.key)} />
            </div>
          );
        })}
        <div>
          <Label htmlFor={`${id}-mode`}>OutputBufferingMode</Label>
          <Select id={`${id}-mode`} className="mt-1" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
            <option value="Block">Block</option>
            <option value="Drop">Drop</option>
          </Select>
        </div>
        <button type="submit" hidden />
      </form>
      <ActionError failure={failure} />
    </Dialog>
  );
}
