"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState, useTransition } from "react";
import { registerComputerAction } from "@/app/(console)/computers/actions";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { FieldError, Input, Label } from "@/components/ui/input";
import { queryKeys } from "@/lib/queries/keys";

type TState = { error?: string; fieldErrors?: Record<string, string[]>; registered?: string };

// Admin only. The token goes to the server once, is checked against the agent, and is stored
// sealed; it is never shown again.
export function RegisterComputerForm() {
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const [state, setState] = useState<TState>({});
  const [pending, startTransition] = useTransition();

  const submit = (form: FormData) =>
    startTransition(async () => {
      const name = String(form.get("name") ?? "");
      const result = await registerComputerAction({
        name,
        address: String(form.get("address") ?? ""),
        token: String(form.get("token") ?? ""),
        tlsFingerprint: String(form.get("tlsFingerprint") ?? ""),
      });
      if (!result.ok) return setState({ error: result.error, fieldErrors: result.fieldErrors });
      setState({ registered: name.trim() });
      formRef.current?.reset();
      await queryClient.invalidateQueries({ queryKey: queryKeys.computers.all });
    });

  const fe = state.fieldErrors ?? {};
  const field = (name: string, label: string, props: React.ComponentProps<typeof Input> = {}, hint?: string) => (
    <div>
      <Label htmlFor={`computer-${name}`}>{label}</Label>
      <Input
        id={`computer-${name}`}
        name={name}
        className="mt-1"
        aria-invalid={!!fe[name]}
        aria-describedby={hint ? `computer-${name}-hint computer-${name}-error` : `computer-${name}-error`}
        {...props}
      />
      {hint ? (
        <p id={`computer-${name}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      <FieldError id={`computer-${name}-error`} messages={fe[name]} />
    </div>
  );

  return (
    <Card>
      <h2 className="mb-1 text-sm font-semibold text-slate-900">Register a computer</h2>
      <p className="mb-3 text-xs text-slate-500">Its agent host must be running; Baton checks that it answers with this token before saving.</p>
      {/* Fingerprints in messages are 95 characters without a space: they wrap anywhere rather than overflow. */}
      <form ref={formRef} action={submit} className="space-y-3 [overflow-wrap:anywhere]" noValidate>
        {state.error ? <Alert>{state.error}</Alert> : null}
        {state.registered ? <Alert tone="info">Registered {state.registered}.</Alert> : null}
        {field("name", "Computer name", { autoComplete: "off", placeholder: "e.g. Srv1" })}
        {field("address", "Agent address", { autoComplete: "off", placeholder: "http://host:5985", inputMode: "url" })}
        {field("token", "Agent token", { type: "password", autoComplete: "new-password" })}
        {field(
          "tlsFingerprint",
          "Certificate fingerprint (optional)",
          { autoComplete: "off", spellCheck: false, placeholder: "SHA-256, e.g. 3F:A2:…:9C", className: "mt-1 font-mono text-xs" },
          "For an https address: the console then trusts exactly that certificate (self-signed works). The agent prints it: --print-fingerprint.",
        )}
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Checking the agent…" : "Register computer"}
        </Button>
      </form>
    </Card>
  );
}
