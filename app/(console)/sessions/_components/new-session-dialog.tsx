"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, useTransition } from "react";
import { newSessionAction } from "@/app/(console)/sessions/actions";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { ConfigurationLimits } from "@/components/sessions/configuration-limits";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FieldError, Input, Label, Select } from "@/components/ui/input";
import type { TComputerRow } from "@/lib/dto/computers";
import type { TSessionRow } from "@/lib/dto/sessions";
import { parseDecimal } from "@/lib/protocol/hygiene";
import { queryKeys } from "@/lib/queries/keys";

export type NewSessionDialogProps = {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  computers: TComputerRow[];
  onCreated: (row: TSessionRow) => void;
};

// New-PSSession: a computer, a name and a configuration, optionally an idle timeout and a
// buffering mode. The chosen configuration's limits are shown before the agent is asked.
export function NewSessionDialog({ open, onOpenChange, computers, onCreated }: NewSessionDialogProps) {
  if (!open) return null;
  return <NewSessionForm onOpenChange={onOpenChange} computers={computers} onCreated={onCreated} />;
}

function NewSessionForm({ onOpenChange, computers, onCreated }: Omit<NewSessionDialogProps, "open">) {
  const id = useId();
  const queryClient = useQueryClient();
  const firstOnline = computers.find((c) => c.status === "online") ?? computers[0];
  const [computerId, setComputerId] = useState(firstOnline?.id ?? "");
  const computer = computers.find((c) => c.id === computerId);
  const [configurationName, setConfigurationName] = useState(firstOnline?.configurations[0]?.name ?? "");
  const configuration = computer?.configurations.find((c) => c.name === configurationName) ?? computer?.configurations[0];
  const [name, setName] = useState("");
  const [idle, setIdle] = useState("");
  const [mode, setMode] = useState<"" | "Block" | "Drop" | "None">("");
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const fe = failure?.fieldErrors ?? {};

  const pickComputer = (next: string) => {
    setComputerId(next);
    const c = computers.find((x) => x.id === next);
    if (!c?.configurations.some((x) => x.name === configurationName)) setConfigurationName(c?.configurations[0]?.name ?? "");
  };

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      const result = await newSessionAction({
        computerId,
        name: name.trim(),
        configurationName: configuration?.name ?? configurationName,
        idleTimeoutSec: idle.trim() ? parseDecimal(idle) : undefined,
        outputBufferingMode: mode || undefined,
      });
      if (!result.ok) return setFailure(result);
      await queryClient.invalidateQueries({ queryKey: queryKeys.sessions.all });
      await queryClient.invalidateQueries({ queryKey: queryKeys.computers.all });
      onOpenChange(false);
      onCreated(result.data);
    });

  const field = (key: string) => ({ "aria-invalid": !!fe[key], "aria-describedby": `${id}-${key}-error` });
  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      size="lg"
      title="New session"
      description="Opens a shell on the computer, attached to you. Disconnect it later and its commands keep running."
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={`${id}-form`} disabled={pending || !computerId}>
            {pending ? "Creating…" : "Create session"}
          </Button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        className="grid gap-4 sm:grid-cols-2"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div>
          <Label htmlFor={`${id}-computer`}>Computer</Label>
          <Select id={`${id}-computer`} className="mt-1" value={computerId} onChange={(e) => pickComputer(e.target.value)} {...field("computerId")}>
            {computers.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.status === "online" ? "" : ` (${c.status})`}
              </option>
            ))}
          </Select>
          <FieldError id={`${id}-computerId-error`} messages={fe.computerId} />
        </div>
        <div>
          <Label htmlFor={`${id}-name`}>Session name</Label>
          <Input id={`${id}-name`} className="mt-1" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ITTask" autoComplete="off" {...field("name")} />
          <FieldError id={`${id}-name-error`} messages={fe.name} />
        </div>
        <div>
          <Label htmlFor={`${id}-configuration`}>Configuration</Label>
          <Select
            id={`${id}-configuration`}
            className="mt-1"
            value={configuration?.name ?? ""}
            onChange={(e) => setConfigurationName(e.target.value)}
            disabled={!computer?.configurations.length}
            {...field("configurationName")}
          >
            {computer?.configurations.length ? null : <option value="">No configuration reported yet</option>}
            {computer?.configurations.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </Select>
          <FieldError id={`${id}-configurationName-error`} messages={fe.configurationName} />
        </div>
        <div>
          <Label htmlFor={`${id}-idle`}>Idle timeout (seconds)</Label>
          <Input
            id={`${id}-idle`}
            className="mt-1"
            type="number"
            inputMode="numeric"
            min={configuration?.minIdleTimeoutSec ?? 60}
            max={configuration ? Math.floor(configuration.maxIdleTimeoutMs / 1000) : undefined}
            value={idle}
            onChange={(e) => setIdle(e.target.value)}
            placeholder={configuration ? `default ${Math.floor(configuration.idleTimeoutMs / 1000)}` : "configuration default"}
            {...field("idleTimeoutSec")}
          />
          <FieldError id={`${id}-idleTimeoutSec-error`} messages={fe.idleTimeoutSec} />
        </div>
        <div>
          <Label htmlFor={`${id}-mode`}>Output buffering mode</Label>
          <Select id={`${id}-mode`} className="mt-1" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} {...field("outputBufferingMode")}>
            <option value="">Configuration default{configuration ? ` (${configuration.outputBufferingMode})` : ""}</option>
            <option value="Block">Block</option>
            <option value="Drop">Drop</option>
            <option value="None">None (configuration&apos;s mode)</option>
          </Select>
          <FieldError id={`${id}-outputBufferingMode-error`} messages={fe.outputBufferingMode} />
        </div>
        <button type="submit" hidden />
      </form>
      {configuration ? <ConfigurationLimits configuration={configuration} computerName={computer?.name ?? ""} /> : null}
      <ActionError failure={failure} />
    </Dialog>
  );
}
