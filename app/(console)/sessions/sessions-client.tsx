"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { useLiveEvent } from "@/lib/realtime/use-live-events";
import { BulkBar } from "@/app/(console)/sessions/_components/bulk-bar";
import { BulkDialog, type TBulkSelection } from "@/app/(console)/sessions/_components/bulk-dialog";
import { NewSessionDialog } from "@/app/(console)/sessions/_components/new-session-dialog";
import { Pager } from "@/app/(console)/sessions/_components/pager";
import { SessionFilters } from "@/app/(console)/sessions/_components/session-filters";
import { selectable, SessionsTable } from "@/app/(console)/sessions/_components/sessions-table";
import { useSessionFilters } from "@/app/(console)/sessions/_components/use-session-filters";
import type { TViewer } from "@/components/sessions/viewer";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState } from "@/components/ui/card";
import type { TComputerRow } from "@/lib/dto/computers";
import type { TBulkOperation, TSessionFilters, TSessionPage, TSessionRow } from "@/lib/dto/sessions";
import { computersListQuery } from "@/lib/queries/computers";
import { parseDecimal } from "@/lib/protocol/hygiene";
import { sessionFiltersToParams, sessionsListQuery } from "@/lib/queries/sessions";

export type SessionsClientProps = {
  initial: { filters: TSessionFilters; page: TSessionPage };
  initialComputers: TComputerRow[];
  viewer: TViewer;
};

export function SessionsClient({ initial, initialComputers, viewer }: SessionsClientProps) {
  const { filters, problems, setFilters } = useSessionFilters();
  const { data, error, isFetching } = useQuery(sessionsListQuery(filters, initial));
  const { data: computers } = useQuery(computersListQuery(initialComputers));
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [throttle, setThrottle] = useState("32");
  const [bulk, setBulk] = useState<{ operation: TBulkOperation; selection: TBulkSelection; throttleLimit: number | undefined } | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<TSessionRow | null>(null);
  const [notice, setNotice] = useState<{ id: string; text: string } | null>(null);
  useLiveEvent((e) => {
    if (e.type === "handoff.received") setNotice({ id: e.id, text: `${e.from} handed you ${e.name} on ${e.computerName}: “${e.reason}”.` });
    if (e.type === "session.taken-over") setNotice({ id: e.id, text: `${e.by} took over ${e.name} on ${e.computerName}: “${e.reason}”.` });
  });

  // A selection belongs to the view it was made in.
  const viewKey = sessionFiltersToParams(filters).toString();
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [viewKey]);

  const filtered = !!(filters.computer || filters.name || filters.state || filters.availability || filters.owner || filters.handed);
  const rows = data?.rows ?? [];
  const total = data?.total ?? 0;
  const totalCapped = data?.totalCapped ?? false;
  const pickable = rows.filter(selectable);
  const pageAllPicked = pickable.length > 0 && pickable.every((r) => selected.has(r.id));
  const computerNames = useMemo(() => computers.map((c) => c.name), [computers]);

  const select = (ids: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) (on ? next.add(id) : next.delete(id));
      return next;
    });

  const startBulk = (operation: TBulkOperation) => {
    setBulk({
      operation,
      selection: allMatching ? { filters } : { sessionIds: [...selected] },
      throttleLimit: throttle.trim() ? parseDecimal(throttle) : undefined,
    });
  };

  const sort = (s: TSessionFilters["sort"]) => setFilters({ sort: s, dir: filters.sort === s && filters.dir === "asc" ? "desc" : "asc" });

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <SessionFilters filters={filters} computerNames={computerNames} onChange={setFilters} showHanded={viewer.canAct} />
        </div>
        {viewer.canAct ? (
          <Button onClick={() => setCreating(true)} className="self-center">
            New session
          </Button>
        ) : null}
      </div>

      {problems.map((p) => (
        <Alert key={p}>{p} Showing the default instead.</Alert>
      ))}
      {error ? <Alert>Could not refresh the list: {error.message}</Alert> : null}
      {created ? (
        <Alert tone="info">
          Created {created.name} on {created.computerName} ({created.state}, {created.availability}).{" "}
          <Link href={`/sessions/${created.id}`} className="font-medium underline">
            Open its terminal
          </Link>
        </Alert>
      ) : null}

      {notice ? (
        <Alert tone="info">
          {notice.text}{" "}
          <Link href={`/sessions/${notice.id}`} className="font-medium underline">
            View the session
          </Link>
        </Alert>
      ) : null}
      {viewer.canAct && (selected.size > 0 || allMatching) ? (
        <BulkBar
          count={allMatching ? total : selected.size}
          allMatching={allMatching}
          throttleLimit={throttle}
          onThrottleLimit={setThrottle}
          onStart={startBulk}
          onClear={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      ) : null}
      {viewer.canAct && pageAllPicked && !allMatching && total > rows.length ? (
        <p className="text-sm text-slate-600">
          All {pickable.length} selectable sessions on this page are selected.{" "}
          <button type="button" className="font-medium text-sky-700 underline" onClick={() => setAllMatching(true)}>
            Select all {total.toLocaleString("en-US")}
            {totalCapped ? "+" : ""} sessions matching this filter
          </button>
        </p>
      ) : null}

      <div aria-busy={isFetching} className={isFetching ? "opacity-90 transition-opacity" : undefined}>
        {rows.length ? (
          <SessionsTable rows={rows} filters={filters} viewer={viewer} onSort={sort} selected={selected} onSelect={select} allMatching={allMatching} />
        ) : (
          <EmptyState title={filtered ? "No sessions match these filters" : "No sessions yet"}>
            {viewer.canAct ? "Open one with New session, or change the filters." : "Sessions appear here as they are opened on the fleet."}
          </EmptyState>
        )}
      </div>
      <Pager page={filters.page} pageSize={filters.pageSize} total={total} totalCapped={totalCapped} onPage={(page) => setFilters({ page })} onPageSize={(pageSize) => setFilters({ pageSize })} />

      <NewSessionDialog open={creating} onOpenChange={setCreating} computers={computers} onCreated={setCreated} />
      <BulkDialog
        operation={bulk?.operation ?? null}
        selection={bulk?.selection ?? { sessionIds: [] }}
        throttleLimit={bulk?.throttleLimit}
        onClose={(finished) => {
          setBulk(null);
          if (finished) {
            setSelected(new Set());
            setAllMatching(false);
          }
        }}
      />
    </div>
  );
}
