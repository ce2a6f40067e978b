"use client";
import { useId, useState, useTransition, type ReactNode } from "react";
import type { z } from "zod";
import { ActionError, type TActionFailure } from "@/components/sessions/action-error";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FieldError, Label } from "@/components/ui/input";
import { REASON_MAX_CHARS } from "@/lib/sessions/reason";
import { cn } from "@/lib/utils/cn";

export type ReasonDialogProps = {
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  /** The server's schema for the reason: the dialog checks it before sending, with the same words. */
  schema: z.ZodType<string>;
  /** An optional reason is labelled so, and may be left empty. */
  optional?: boolean;
  /** The reason must be one line: Enter sends instead of breaking the line. */
  oneLine?: boolean;
  placeholder: string;
  submitLabel: string;
  pendingLabel: string;
  variant?: "primary" | "danger";
  /** Other fields, above the reason (the hand-off's recipient), given the server's field errors. */
  fields?: (fieldErrors: Record<string, string[]>) => ReactNode;
  /** False while those other fields are incomplete. */
  ready?: boolean;
  /** Sends the trimmed reason; resolves to the failure to show, or null when done (the dialog closes). */
  onSubmit: (reason: string) => Promise<TActionFailure | null>;
};

// The one "reason" dialog: hand-off, take-over and join requests ask for a reason with the same
// limit, counter and error display. Mounted only while open, so every opening starts empty.
export function ReasonDialog({
  onOpenChange,
  title,
  description,
  schema,
  optional = false,
  oneLine = false,
  placeholder,
  submitLabel,
  pendingLabel,
  variant = "primary",
  fields,
  ready = true,
  onSubmit,
}: ReasonDialogProps) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<TActionFailure | null>(null);
  /** What the schema said before sending: shown under the field, nothing was sent. */
  const [invalid, setInvalid] = useState<string[] | null>(null);
  const [pending, startTransition] = useTransition();
  const fe = failure?.fieldErrors ?? {};
  const length = reason.trim().length;
  const over = length > REASON_MAX_CHARS;

  const submit = () =>
    startTransition(async () => {
      setFailure(null);
      const parsed = schema.safeParse(reason);
      setInvalid(parsed.success ? null : parsed.error.issues.map((i) => i.message));
      if (!parsed.success) return;
      const failed = await onSubmit(parsed.data);
      if (failed) return setFailure(failed);
      onOpenChange(false);
    });

  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      title={title}
      description={description}
      footer={
        <>
          <Button variant="secondary" onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button variant={variant} type="submit" form={`${id}-form`} disabled={pending || !ready || over || (!optional && length === 0)}>
            {pending ? pendingLabel : submitLabel}
          </Button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {fields?.(fe)}
        <div>
          <div className="flex items-baseline justify-between gap-2">
            <Label htmlFor={`${id}-reason`}>{optional ? "Reason (optional)" : "Reason"}</Label>
            <span id={`${id}-reason-count`} className={cn("text-xs tabular-nums", over ? "font-medium text-red-700" : "text-slate-500")}>
              {length} / {REASON_MAX_CHARS}
            </span>
          </div>
          <textarea
            id={`${id}-reason`}
            rows={oneLine ? 2 : 3}
            className="mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-xs focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 focus:outline-none aria-[invalid=true]:border-red-500"
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setInvalid(null);
            }}
            onKeyDown={(e) => {
              if (!oneLine || e.key !== "Enter" || e.nativeEvent.isComposing) return;
              e.preventDefault();
              e.currentTarget.form?.requestSubmit();
            }}
            placeholder={placeholder}
            aria-invalid={over || !!invalid || !!fe.reason}
            aria-describedby={`${id}-reason-count ${id}-reason-error`}
          />
          <FieldError id={`${id}-reason-error`} messages={over ? [`must be at most ${REASON_MAX_CHARS} characters`] : (invalid ?? fe.reason)} />
        </div>
      </form>
      <ActionError failure={failure} />
    </Dialog>
  );
}
