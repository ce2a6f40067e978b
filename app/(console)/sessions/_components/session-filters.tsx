"use client";
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input, Label, Select } from "@/components/ui/input";
import { AVAILABILITIES, SESSION_STATES, type TSessionFilters } from "@/lib/dto/sessions";

type TTextKey = "name" | "owner";

// Text filters apply after a short pause (or Enter), selects at once; all go to the URL.
function useDraft(value: string | undefined, apply: (v: string | undefined) => void) {
  const [draft, setDraft] = useState(value ?? "");
  const applied = useRef(value ?? "");
  useEffect(() => {
    // The URL changed elsewhere (clear, back, a shared link): follow it.
    if ((value ?? "") !== applied.current) {
      applied.current = value ?? "";
      setDraft(value ?? "");
    }
  }, [value]);
  useEffect(() => {
    if (draft === applied.current) return;
    const t = setTimeout(() => {
      applied.current = draft;
      apply(draft.trim() || undefined);
    }, 350);
    return () => clearTimeout(t);
  }, [draft, apply]);
  const flush = () => {
    if (draft === applied.current) return;
    applied.current = draft;
    apply(draft.trim() || undefined);
  };
  return { draft, setDraft, flush };
}

export function SessionFilters({
  filters,
  computerNames,
  onChange,
  showHanded,
}: {
  filters: TSessionFilters;
  computerNames: string[];
  onChange: (patch: Partial<TSessionFilters>) => void;
  /** "Handed to me" only means something to roles that may receive a handoff. */
  showHanded: boolean;
}) {
  const text = (key: TTextKey) => (v: string | undefined) => onChange({ [key]: v });
  const name = useDraft(filters.name, useStableCallback(text("name")));
  const owner = useDraft(filters.owner, useStableCallback(text("owner")));
  const active = !!(filters.computer || filters.name || filters.state || filters.availability || filters.owner || filters.handed);
  const computers = filters.computer && !computerNames.includes(filters.computer) ? [filters.computer, ...computerNames] : computerNames;

  return (
    <form
      role="search"
      aria-label="Filter sessions"
      className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3"
      onSubmit={(e) => {
        e.preventDefault();
        name.flush();
        owner.flush();
      }}
    >
      <div>
        <Label htmlFor="filter-computer">Computer</Label>
        <Select
          id="filter-computer"
          className="mt-1 w-44"
          value={filters.computer ?? ""}
          onChange={(e) => onChange({ computer: e.target.value || undefined })}
        >
          <option value="">All computers</option>
          {computers.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
      </div>
      <div>
        <Label htmlFor="filter-name">Name</Label>
        <Input
          id="filter-name"
          className="mt-1 w-40"
          placeholder="e.g. IT*"
          value={name.draft}
          onChange={(e) => name.setDraft(e.target.value)}
          onBlur={name.flush}
          aria-describedby="filter-name-hint"
          autoComplete="off"
        />
        <span id="filter-name-hint" className="sr-only">
          Wildcards: * for any characters, ? for one. Not case-sensitive.
        </span>
      </div>
      <div>
        <Label htmlFor="filter-state">State</Label>
        <Select
          id="filter-state"
          className="mt-1 w-36"
          value={filters.state ?? ""}
          onChange={(e) => onChange({ state: (e.target.value || undefined) as TSessionFilters["state"] })}
        >
          <option value="">Any state</option>
          {SESSION_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
      </div>
      <div>
        <Label htmlFor="filter-availability">Availability</Label>
        <Select
          id="filter-availability"
          className="mt-1 w-44"
          value={filters.availability ?? ""}
          onChange={(e) => onChange({ availability: (e.target.value || undefined) as TSessionFilters["availability"] })}
        >
          <option value="">Any availability</option>
          {AVAILABILITIES.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </Select>
      </div>
      <div>
        <Label htmlFor="filter-owner">Owner</Label>
        <Input
          id="filter-owner"
          className="mt-1 w-32"
          placeholder="username"
          value={owner.draft}
          onChange={(e) => owner.setDraft(e.target.value)}
          onBlur={owner.flush}
          autoComplete="off"
        />
      </div>
      {showHanded ? (
        <label className="inline-flex h-9 items-center gap-2 text-sm text-slate-700">
          <Checkbox checked={filters.handed === "me"} onChange={(e) => onChange({ handed: e.target.checked ? "me" : undefined })} />
          Handed to me
        </label>
      ) : null}
      <button type="submit" hidden />
      {active ? (
        <Button
          variant="ghost"
          onClick={() => onChange({ computer: undefined, name: undefined, state: undefined, availability: undefined, owner: undefined, handed: undefined })}
        >
          Clear filters
        </Button>
      ) : null}
    </form>
  );
}

function useStableCallback<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  const ref = useRef(fn);
  useEffect(() => {
    ref.current = fn;
  });
  const [stable] = useState(() => (...args: A) => ref.current(...args));
  return stable;
}
