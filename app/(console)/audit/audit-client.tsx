"use client";
import { useQuery } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Alert, EmptyState } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { auditListQuery, type TAuditPage } from "@/lib/queries/audit";

const OUTCOME_TONE = { ok: "good", refused: "warn", error: "bad" } as const;

export function AuditClient({ initialPage }: { initialPage: TAuditPage }) {
  const { data, error } = useQuery(auditListQuery(initialPage));
  if (data.rows.length === 0) return <EmptyState title="No audit events yet">Sign-ins and actions will appear here.</EmptyState>;
  return (
    <section aria-label="Audit events">
      {error ? <Alert className="mb-3">Could not refresh: {error.message}</Alert> : null}
      <Table>
        <THead>
          <tr>
            <TH>#</TH>
            <TH>Time (UTC)</TH>
            <TH>Actor</TH>
            <TH>Action</TH>
            <TH>Target</TH>
            <TH>Outcome</TH>
            <TH>Detail</TH>
          </tr>
        </THead>
        <TBody>
          {data.rows.map((e) => (
            <TR key={e.seq}>
              <TD className="font-mono text-xs text-slate-500">{e.seq}</TD>
              <TD className="whitespace-nowrap font-mono text-xs">{e.at.replace("T", " ").slice(0, 19)}</TD>
              <TD>
                {e.actorName} <span className="text-xs text-slate-400">{e.actorRole}</span>
              </TD>
              <TD className="font-mono text-xs">{e.action}</TD>
              <TD className="text-xs">{[e.computerName, e.sessionName].filter(Boolean).join(" / ") || "—"}</TD>
              <TD>
                <Badge tone={OUTCOME_TONE[e.outcome as keyof typeof OUTCOME_TONE] ?? "neutral"}>{e.outcome}</Badge>
              </TD>
              <TD className="max-w-md truncate text-xs text-slate-500" title={e.error ?? e.params}>
                {e.error ?? (e.params === "{}" ? "" : e.params)}
              </TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </section>
  );
}
