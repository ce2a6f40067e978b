"use client";
import Link from "next/link";
import { SessionActions } from "@/app/(console)/sessions/_components/session-actions";
import { BufferMeter } from "@/components/sessions/buffer-meter";
import { formatAgo } from "@/components/sessions/format";
import { IdleCountdown } from "@/components/sessions/idle-countdown";
import { IdleTimeoutFlag } from "@/components/sessions/idle-flag";
import { AvailabilityBadge, StateBadge } from "@/components/sessions/state-badge";
import { useNow } from "@/components/sessions/use-now";
import type { TViewer } from "@/components/sessions/viewer";
import { Checkbox } from "@/components/ui/checkbox";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { TSessionFilters, TSessionRow } from "@/lib/dto/sessions";
import { cn } from "@/lib/utils/cn";

type TSort = TSessionFilters["sort"];

// The actions stay in view when a narrow window scrolls the table sideways.
const STICKY = "sticky right-0 shadow-[-8px_0_8px_-8px_rgba(15,23,42,0.15)]";

export const selectable = (r: TSessionRow) => r.can.disconnect || r.can.connect || r.can.remove;

function SortHeader({ label, sort, filters, onSort, className }: { label: string; sort: TSort; filters: TSessionFilters; onSort: (s: TSort) => void; className?: string }) {
  const active = filters.sort === sort;
  return (
    <TH aria-sort={active ? (filters.dir === "asc" ? "ascending" : "descending") : "none"} className={className}>
      <button type="button" onClick={() => onSort(sort)} className="inline-flex items-center gap-1 whitespace-nowrap hover:text-slate-800">
        {label}
        <span aria-hidden className={cn("text-[10px]", active ? "text-slate-700" : "text-slate-300")}>
          {active && filters.dir === "desc" ? "▼" : "▲"}
        </span>
      </button>
    </TH>
  );
}

export type SessionsTableProps = {
  rows: TSessionRow[];
  filters: TSessionFilters;
  viewer: TViewer;
  onSort: (sort: TSort) => void;
  selected: ReadonlySet<string>;
  onSelect: (ids: string[], selected: boolean) => void;
  allMatching: boolean;
};

export function SessionsTable({ rows, filters, viewer, onSort, selected, onSelect, allMatching }: SessionsTableProps) {
  const now = useNow();
  const pickable = rows.filter(selectable);
  const picked = pickable.filter((r) => allMatching || selected.has(r.id)).length;
  const sortProps = { filters, onSort };
  return (
    <Table aria-label="Sessions" className="text-xs [&_td]:px-2 [&_th]:px-2 [&_th]:whitespace-nowrap [&_thead]:normal-case [&_thead]:tracking-normal">
      <THead>
        <tr>
          {viewer.canAct ? (
            <TH className="w-8">
              <Checkbox
                aria-label="Select all sessions on this page"
                checked={pickable.length > 0 && picked === pickable.length}
                indeterminate={picked > 0 && picked < pickable.length}
                disabled={pickable.length === 0 || allMatching}
                onChange={(e) => onSelect(pickable.map((r) => r.id), e.target.checked)}
              />
            </TH>
          ) : null}
          <SortHeader label="Id" sort="id" {...sortProps} />
          <SortHeader label="Name" sort="name" {...sortProps} />
          <SortHeader label="ComputerName" sort="computer" {...sortProps} />
          <SortHeader label="State" sort="state" {...sortProps} />
          <TH>ConfigurationName</TH>
          <TH>Availability</TH>
          <SortHeader label="Owner" sort="owner" {...sortProps} />
          <TH>Holder</TH>
          <SortHeader label="Expires in" sort="expires" {...sortProps} />
          <TH>Buffer</TH>
          <TH>Running command</TH>
          {viewer.canAct ? <TH className={cn("text-right", STICKY, "bg-slate-50")}>Actions</TH> : null}
        </tr>
      </THead>
      <TBody>
        {rows.map((r) => (
          <TR key={r.id} data-testid="session-row" data-session-id={r.id} data-state={r.state} className={cn(selected.has(r.id) && "bg-sky-50/60")}>
            {viewer.canAct ? (
              <TD>
                <Checkbox
                  aria-label={`Select ${r.name} on ${r.computerName}`}
                  checked={allMatching ? selectable(r) : selected.has(r.id)}
                  disabled={!selectable(r) || allMatching}
                  onChange={(e) => onSelect([r.id], e.target.checked)}
                />
              </TD>
            ) : null}
            <TD className="font-mono text-xs tabular-nums text-slate-500">{r.agentSessionId}</TD>
            <TD>
              {/* One line: a name broken at its hyphens reads as two sessions. A long one is cut, whole in its tooltip. */}
              <span className="inline-flex max-w-44 items-center gap-1.5 whitespace-nowrap">
                {/* The row's "Open" action: the name opens the session's page. */}
                <Link href={`/sessions/${r.id}`} aria-label={`Open ${r.name} on ${r.computerName}`} title={r.name} className="min-w-0 truncate font-medium text-sky-800 hover:underline">
                  {r.name}
                </Link>
                <IdleTimeoutFlag session={r} />
              </span>
            </TD>
            <TD className="whitespace-nowrap">{r.computerName}</TD>
            <TD>
              <StateBadge state={r.state} />
              {r.reason && (r.state === "Broken" || r.state === "Closed") ? (
                <p className="mt-0.5 max-w-40 truncate text-[11px] text-slate-500" title={r.reason}>
                  {r.reason}
                </p>
              ) : null}
            </TD>
            <TD className="max-w-36 truncate text-slate-600" title={r.configurationName}>
              {r.configurationName}
            </TD>
            <TD>
              <AvailabilityBadge availability={r.availability} />
            </TD>
            <TD className="text-slate-600">{r.ownerName}</TD>
            <TD className="text-slate-600">
              {r.holderName ? (r.holderId === viewer.id ? <span className="font-medium text-emerald-700">you</span> : r.holderName) : <span className="text-slate-400">—</span>}
              {r.handedTo ? (
                <span className="block text-[11px] text-violet-700" title={`${r.handedTo.by} handed it over: ${r.handedTo.reason}`}>
                  → {r.handedTo.id === viewer.id ? "you" : r.handedTo.name}
                </span>
              ) : null}
            </TD>
            <TD>
              <IdleCountdown session={r} />
            </TD>
            <TD>
              <BufferMeter session={r} />
            </TD>
            <TD className="max-w-28">
              {r.runningCommand ? (
                <div title={r.runningCommand}>
                  <code className="block truncate font-mono text-xs text-slate-800">{r.runningCommand}</code>
                  {r.commandStartedOn && now ? <span className="text-[11px] text-slate-500">started {formatAgo(r.commandStartedOn, now)}</span> : null}
                </div>
              ) : (
                <span className="text-slate-400">—</span>
              )}
            </TD>
            {viewer.canAct ? (
              <TD className={cn("whitespace-nowrap text-right", STICKY, selected.has(r.id) ? "bg-sky-50" : "bg-white")}>
                <SessionActions session={r} compact />
              </TD>
            ) : null}
          </TR>
        ))}
      </TBody>
    </Table>
  );
}
