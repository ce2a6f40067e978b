"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState, useTransition } from "react";
import { createUserAction } from "@/app/(console)/users/actions";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { FieldError, Input, Label, Select } from "@/components/ui/input";
import { ROLE_LABEL, ROLES } from "@/lib/auth/roles";
import { queryKeys } from "@/lib/queries/keys";

type TState = { error?: string; fieldErrors?: Record<string, string[]>; created?: string };

export function CreateUserForm() {
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const [state, setState] = useState<TState>({});
  const [pending, startTransition] = useTransition();

  const submit = (form: FormData) =>
    startTransition(async () => {
      const result = await createUserAction({
        username: String(form.get("username") ?? ""),
        displayName: String(form.get("displayName") ?? ""),
        role: String(form.get("role") ?? "") as (typeof ROLES)[number],
        team: String(form.get("team") ?? ""),
        password: String(form.get("password") ?? ""),
      });
      if (!result.ok) return setState({ error: result.error, fieldErrors: result.fieldErrors });
      setState({ created: result.data.username });
      formRef.current?.reset();
      await queryClient.invalidateQueries({ queryKey: queryKeys.users.all });
    });

  const fe = state.fieldErrors ?? {};
  const field = (name: string, label: string, props: React.ComponentProps<typeof Input> = {}) => (
    <div>
      <Label htmlFor={`new-${name}`}>{label}</Label>
      <Input id={`new-${name}`} name={name} className="mt-1" aria-invalid={!!fe[name]} aria-describedby={`new-${name}-error`} {...props} />
      <FieldError id={`new-${name}-error`} messages={fe[name]} />
    </div>
  );

  return (
    <Card>
      <h2 className="mb-3 text-sm font-semibold text-slate-900">Add a user</h2>
      <form ref={formRef} action={submit} className="space-y-3" noValidate>
        {state.error ? <Alert>{state.error}</Alert> : null}
        {state.created ? <Alert tone="info">Created {state.created}.</Alert> : null}
        {field("username", "Username", { autoComplete: "off" })}
        {field("displayName", "Full name")}
        <div>
          <Label htmlFor="new-role">Role</Label>
          <Select id="new-role" name="role" className="mt-1" defaultValue="technician">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </Select>
        </div>
        {field("team", "Team (optional)")}
        {field("password", "Initial password", { type: "password", autoComplete: "new-password" })}
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Adding…" : "Add user"}
        </Button>
      </form>
    </Card>
  );
}
