"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { Alert, EmptyState } from "@/components/ui/card";
import type { TAuditPage } from "@/lib/data/audit/list-audit-events";
import { AUDIT_FILTER_KEYS, auditQueryToParams, hasAuditFilters, parseAuditQuery, type TAuditFilters, type TAuditQuery } from "@/lib/data/audit/schemas";
import { auditListQuery } from "@/lib/queries/audit";
import { useLiveEvent } from "@/lib/realtime/use-live-events";
import { AuditFilters } from "@/app/(console)/audit/_components/audit-filters";
import { AuditTable } from "@/app/(console)/audit/_components/audit-table";
import { ExportLinks } from "@/app/(console)/audit/_components/export-links";
import { KeysetPager } from "@/app/(console)/audit/_components/keyset-pager";

const FRESH_MS = 4000;

type TProps = { initial: { query: TAuditQuery; page: TAuditPage } | null; actions: string[] };

// The trail as the URL describes it: filters, cursor and page size all live in the search
// params, so a view can be shared, reloaded and walked back through with the browser.
export function AuditClient({ initial, actions }: TProps) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const parsed = useMemo(() => parseAuditQuery(new URLSearchParams(searchParams.toString())), [searchParams]);
  const rawValues = useMemo(() => {
    const v: Partial<Record<keyof TAuditFilters, string>> = {};
    for (const k of AUDIT_FILTER_KEYS) v[k] = searchParams.get(k) ?? undefined;
    return v;
  }, [searchParams]);

  const hrefFor = (q: Partial<TAuditQuery>) => {
    const qs = auditQueryToParams(q).toString();
    return qs ? `/audit?${qs}` : "/audit";
  };
  const apply = (values: Partial<Record<keyof TAuditFilters, string>>) => {
    // A change of filters starts again at the newest page; the page size stays.
    const next = new URLSearchParams();
    for (const k of AUDIT_FILTER_KEYS) if (values[k]?.trim()) next.set(k, values[k]!.trim());
    const size = searchParams.get("size");
    if (size) next.set("size", size);
    router.push(next.size ? `/audit?${next}` : "/audit");
  };

  return (
    <div className="space-y-4">
      <AuditFilters values={rawValues} actions={actions} onApply={apply} />
      {parsed.ok ? (
        <Results query={parsed.query} initial={initial} hrefFor={hrefFor} onSize={(size) => router.push(hrefFor({ ...parsed.query, before: undefined, after: undefined, size }))} />
      ) : (
        <Alert>
          <p className="font-medium">These filters cannot be applied, so no events are shown:</p>
          <ul className="mt-1 list-disc pl-5">
            {parsed.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Alert>
      )}
    </div>
  );
}

function Results({
  query,
  initial,
  hrefFor,
  onSize,
}: {
  query: TAuditQuery;
  initial: TProps["initial"];
  hrefFor: (q: Partial<TAuditQuery>) => string;
  onSize: (n: number) => void;
}) {
  const { data, error, isPlaceholderData } = useQuery(auditListQuery(query, initial ?? undefined));
  const onNewest = query.before === undefined && query.after === undefined;
  const fresh = useFreshRows(data?.rows ?? [], onNewest ? auditQueryToParams(query).toString() : null);
  const [missed, setMissed] = useState(false);
  useLiveEvent((e) => {
    if (e.type === "audit.appended" && !onNewest) setMissed(true);
  });
  useEffect(() => setMissed(false), [query.before, query.after]);

  const base: Partial<TAuditQuery> = { ...query, before: undefined, after: undefined };
  const filterHref = (patch: Partial<TAuditFilters>) => hrefFor({ ...base, ...patch });
  const pager = data ? (
    <KeysetPager
      label="Audit pages"
      newerHref={data.newer !== null ? hrefFor({ ...base, after: data.newer }) : null}
      olderHref={data.older !== null ? hrefFor({ ...base, before: data.older }) : null}
      newestHref={onNewest ? null : hrefFor(base)}
      size={query.size}
      onSize={onSize}
    />
  ) : null;

  return (
    <section aria-label="Audit events" className="space-y-3" aria-busy={isPlaceholderData}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-slate-600">
          {onNewest ? "Newest first. New events appear here as they are recorded." : "An earlier page, newest first."}
        </p>
        <ExportLinks filters={query} />
      </div>
      {error ? <Alert>{error.message}</Alert> : null}
      {missed ? (
        <Alert tone="info">
          New events have been recorded since this page was opened.{" "}
          <Link href={hrefFor(base)} className="font-medium underline">
            Show the newest
          </Link>
        </Alert>
      ) : null}
      {data && data.rows.length === 0 ? (
        <EmptyState title={hasAuditFilters(query) ? "No events match these filters" : onNewest ? "No audit events yet" : "No events on this page"}>
          {onNewest ? (
            hasAuditFilters(query) ? "Widen the filters or clear them." : "Sign-ins and actions will appear here."
          ) : (
            <Link href={hrefFor(base)} className="underline">
              Go to the newest events
            </Link>
          )}
        </EmptyState>
      ) : data ? (
        <>
          {pager}
          <div className={isPlaceholderData ? "opacity-60 transition-opacity" : undefined}>
            <AuditTable rows={data.rows} fresh={fresh} filterHref={filterHref} />
          </div>
          {pager}
        </>
      ) : null}
    </section>
  );
}

/**
 * Rows that arrived with a refetch of the newest page (a live event) rather than with a change
 * of filters, highlighted for a few seconds. `view` names the query; null when not on the newest page.
 */
function useFreshRows(rows: { seq: number }[], view: string | null): ReadonlySet<number> {
  const seen = useRef<{ view: string; top: number } | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const top = rows[0]?.seq ?? 0;
  const latest = useRef(rows);
  latest.current = rows;
  useEffect(() => {
    const previous = seen.current;
    seen.current = view === null ? null : { view, top: Math.max(previous?.view === view ? previous.top : 0, top) };
    if (view === null || !previous || previous.view !== view || top <= previous.top) return;
    setFresh(new Set(latest.current.filter((r) => r.seq > previous.top).map((r) => r.seq)));
    const t = setTimeout(() => setFresh(new Set()), FRESH_MS);
    return () => clearTimeout(t);
  }, [top, view]);
  return fresh;
}
