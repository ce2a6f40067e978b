"use client";
import { useRef, useState, useTransition } from "react";
import { createAccessTokenAction } from "@/app/(console)/tokens/actions";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { FieldError, Input, Label, Select } from "@/components/ui/input";
import { ROLE_LABEL, type TRole } from "@/lib/auth/roles";
import { parseDecimal } from "@/lib/protocol/hygiene";

type TState = { error?: string; fieldErrors?: Record<string, string[]>; created?: { name: string; token: string } };
const EXPIRY_DAYS = [7, 30, 90, 366] as const;

export function CreateTokenForm({ roles, userRole, onCreated }: { roles: readonly TRole[]; userRole: TRole; onCreated: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [state, setState] = useState<TState>({});
  const [pending, startTransition] = useTransition();

  const submit = (form: FormData) =>
    startTransition(async () => {
      const role = String(form.get("role") ?? "");
      const result = await createAccessTokenAction({
        name: String(form.get("name") ?? ""),
        expiresInDays: parseDecimal(String(form.get("expiresInDays") ?? "")),
        role: role && role !== userRole ? (role as TRole) : undefined,
      });
      if (!result.ok) return setState({ error: result.error, fieldErrors: result.fieldErrors });
      setState({ created: { name: result.data.row.name, token: result.data.token } });
      formRef.current?.reset();
      onCreated();
    });

  const fe = state.fieldErrors ?? {};
  return (
    <Card>
      <h2 className="mb-3 text-sm font-semibold text-slate-900">Make a token</h2>
      {state.created ? (
        <div className="mb-4 space-y-2 rounded-md border border-emerald-200 bg-emerald-50 p-3" role="status">
          <p className="text-sm font-medium text-emerald-900">Token {state.created.name} made. Copy it now: Baton will not show it again.</p>
          <Label htmlFor="new-token-value" className="sr-only">
            New token
          </Label>
          <Input id="new-token-value" readOnly value={state.created.token} className="font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
          <p className="text-xs text-emerald-800">
            Use it as <code className="font-mono">BATON_TOKEN</code> for the CLI, or send <code className="font-mono">Authorization: Bearer …</code> to <code className="font-mono">/api/v1</code>.
          </p>
        </div>
      ) : null}
      <form ref={formRef} action={submit} className="space-y-3" noValidate>
        {state.error ? <Alert>{state.error}</Alert> : null}
        <div>
          <Label htmlFor="token-name">Name</Label>
          <Input id="token-name" name="name" className="mt-1" placeholder="e.g. nightly-disconnect" autoComplete="off" aria-invalid={!!fe.name} aria-describedby="token-name-error" />
          <FieldError id="token-name-error" messages={fe.name} />
        </div>
        <div>
          <Label htmlFor="token-expiry">Expires after</Label>
          <Select id="token-expiry" name="expiresInDays" className="mt-1" defaultValue="30">
            {EXPIRY_DAYS.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </Select>
          <FieldError id="token-expiry-error" messages={fe.expiresInDays} />
        </div>
        <div>
          <Label htmlFor="token-role">Role</Label>
          <Select id="token-role" name="role" className="mt-1" defaultValue={userRole}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
                {r === userRole ? " (yours)" : ""}
              </option>
            ))}
          </Select>
          <FieldError id="token-role-error" messages={fe.role} />
        </div>
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Making…" : "Make token"}
        </Button>
      </form>
    </Card>
  );
}
