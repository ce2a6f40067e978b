"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input, Label, Select } from "@/components/ui/input";
import { AUDIT_OUTCOMES, type TAuditFilters } from "@/lib/data/audit/schemas";

const TEXT_FIELDS = [
  { key: "actor", label: "Actor", placeholder: "username", width: "w-32" },
  { key: "computer", label: "Computer", placeholder: "e.g. Srv1", width: "w-28" },
  { key: "session", label: "Session", placeholder: "name or id", width: "w-36" },
  { key: "from", label: "From (UTC)", placeholder: "2026-11-24 08:00", width: "w-40" },
  { key: "to", label: "To (UTC)", placeholder: "2026-11-24", width: "w-36" },
] as const;
type TTextKey = (typeof TEXT_FIELDS)[number]["key"];

type TProps = {
  /** The URL's values as typed (also when one is invalid, so it can be corrected). */
  values: Partial<Record<keyof TAuditFilters, string>>;
  actions: string[];
  onApply: (filters: Partial<Record<keyof TAuditFilters, string>>) => void;
};

// Text fields apply on Enter or "Apply"; the selects at once. Everything goes to the URL, and
// the form is a plain GET form too, so it works before the page's script has loaded.
export function AuditFilters({ values, actions, onApply }: TProps) {
  const [draft, setDraft] = useState(values);
  const key = JSON.stringify(values);
  useEffect(() => setDraft(JSON.parse(key)), [key]);
  const active = Object.values(values).some(Boolean);
  const actionChoices = values.action && !actions.includes(values.action) ? [values.action, ...actions] : actions;
  const apply = (patch: Partial<Record<keyof TAuditFilters, string>> = {}) => onApply({ ...draft, ...patch });

  return (
    <form
      role="search"
      aria-label="Filter audit events"
      method="get"
      action="/audit"
      className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      {TEXT_FIELDS.slice(0, 3).map((f) => (
        <TextField key={f.key} field={f} value={draft[f.key] ?? ""} onChange={(v) => setDraft((d) => ({ ...d, [f.key]: v }))} />
      ))}
      <div>
        <Label htmlFor="filter-action">Action</Label>
        <Select id="filter-action" name="action" className="mt-1 w-44" value={draft.action ?? ""} onChange={(e) => apply({ action: e.target.value })}>
          <option value="">All actions</option>
          {actionChoices.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </Select>
      </div>
      <div>
        <Label htmlFor="filter-outcome">Outcome</Label>
        <Select id="filter-outcome" name="outcome" className="mt-1 w-40" value={draft.outcome ?? ""} onChange={(e) => apply({ outcome: e.target.value })}>
          <option value="">All outcomes</option>
          {AUDIT_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </Select>
      </div>
      {TEXT_FIELDS.slice(3).map((f) => (
        <TextField key={f.key} field={f} value={draft[f.key] ?? ""} onChange={(v) => setDraft((d) => ({ ...d, [f.key]: v }))} />
      ))}
      <div className="flex gap-2">
        <Button type="submit" variant="secondary">
          Apply
        </Button>
        {active ? (
          <Link href="/audit" className="inline-flex h-9 items-center rounded-md px-3 text-sm font-medium text-slate-600 hover:bg-slate-100">
            Clear
          </Link>
        ) : null}
      </div>
    </form>
  );
}

function TextField({ field, value, onChange }: { field: (typeof TEXT_FIELDS)[number]; value: string; onChange: (v: string) => void }) {
  const id = `filter-${field.key satisfies TTextKey}`;
  return (
    <div>
      <Label htmlFor={id}>{field.label}</Label>
      <Input id={id} name={field.key} className={`mt-1 ${field.width}`} placeholder={field.placeholder} value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" spellCheck={false} />
    </div>
  );
}
