import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { TAuditRow } from "@/lib/data/audit/list-audit-events";
import type { TAuditFilters } from "@/lib/data/audit/schemas";
import { cn } from "@/lib/utils/cn";
import { outcomeTone, prettyParams, utc } from "@/app/(console)/audit/_components/format";

type TProps = {
  rows: TAuditRow[];
  /** Events that arrived live since the page opened: briefly highlighted. */
  fresh: ReadonlySet<number>;
  /** Narrow the trail to one value of a column (actor, action, computer). */
  filterHref: (patch: Partial<TAuditFilters>) => string;
};

export function AuditTable({ rows, fresh, filterHref }: TProps) {
  return (
    <Table aria-label="Audit events" className="table-fixed">
      <colgroup>
        <col className="w-20" />
        <col className="w-44" />
        <col className="w-40" />
        <col className="w-44" />
        <col className="w-48" />
        <col className="w-24" />
        <col />
      </colgroup>
      <THead>
        <tr>
          <TH>#</TH>
          <TH>Time (UTC)</TH>
          <TH>Actor</TH>
          <TH>Action</TH>
          <TH>Target</TH>
          <TH>Outcome</TH>
          <TH>Error and parameters</TH>
        </tr>
      </THead>
      <TBody>
        {rows.map((e) => (
          <TR key={e.seq} data-seq={e.seq} className={cn("align-top", fresh.has(e.seq) && "bg-sky-50 transition-colors")}>
            <TD className="font-mono text-xs text-slate-500">{e.seq}</TD>
            <TD className="whitespace-nowrap font-mono text-xs" title={e.at}>
              {utc(e.at)}
            </TD>
            <TD className="truncate">
              <Link href={filterHref({ actor: e.actorName })} className="font-medium hover:underline" title={`Only events by ${e.actorName}`}>
                {e.actorName}
              </Link>
              <span className="block text-xs text-slate-500">{e.actorRole}</span>
            </TD>
            <TD className="truncate font-mono text-xs">
              <Link href={filterHref({ action: e.action })} className="hover:underline" title={`Only ${e.action} events`}>
                {e.action}
              </Link>
            </TD>
            <TD className="text-xs">
              <Target row={e} filterHref={filterHref} />
            </TD>
            <TD>
              <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge>
            </TD>
            <TD className="min-w-0 text-xs">
              {e.error ? <p className="mb-1 break-words text-red-700">{e.error}</p> : null}
              <Params row={e} />
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

function Target({ row, filterHref }: { row: TAuditRow; filterHref: TProps["filterHref"] }) {
  if (!row.computerName && !row.sessionName && !row.sessionId) return <span className="text-slate-400">—</span>;
  return (
    <div className="min-w-0 space-y-0.5">
      {row.computerName ? (
        <Link href={filterHref({ computer: row.computerName })} className="block truncate hover:underline" title={`Only events on ${row.computerName}`}>
          {row.computerName}
        </Link>
      ) : null}
      {row.sessionId ? (
        <Link href={`/audit/sessions/${row.sessionId}`} className="block truncate font-medium text-sky-700 hover:underline" title="Session timeline">
          {row.sessionName ?? row.sessionId} →
        </Link>
      ) : row.sessionName ? (
        <span className="block truncate">{row.sessionName}</span>
      ) : null}
    </div>
  );
}

function Params({ row }: { row: TAuditRow }) {
  const empty = row.params === "{}";
  return (
    <details className="group">
      <summary className="cursor-pointer list-none truncate font-mono text-slate-500 marker:hidden hover:text-slate-800">
        <span aria-hidden className="mr-1 inline-block transition-transform group-open:rotate-90">▸</span>
        {empty ? "no parameters" : row.params}
      </summary>
      <div className="mt-1 space-y-1">
        {empty ? null : <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-[11px] text-slate-700">{prettyParams(row.params)}</pre>}
        <p className="break-all font-mono text-[11px] text-slate-400">hash {row.hash}</p>
      </div>
    </details>
  );
}
