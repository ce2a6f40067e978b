import { formatDuration, formatTime } from "@/components/sessions/format";
import { StateBadge } from "@/components/sessions/state-badge";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { TSessionCommandRow, TSessionEventRow } from "@/lib/dto/sessions";

export function CommandsTable({ commands }: { commands: TSessionCommandRow[] }) {
  if (!commands.length) return <p className="text-sm text-slate-500">No commands run through Baton yet.</p>;
  return (
    <Table aria-label="Command history">
      <THead>
        <tr>
          <TH>Command</TH>
          <TH>By</TH>
          <TH>Started</TH>
          <TH>Took</TH>
          <TH>Exit code</TH>
        </tr>
      </THead>
      <TBody>
        {commands.map((c) => (
          <TR key={c.id}>
            <TD className="max-w-md">
              <code className="break-all font-mono text-xs">{c.command}</code>
            </TD>
            <TD className="text-slate-600">{c.actorName ?? "—"}</TD>
            <TD className="whitespace-nowrap text-xs text-slate-600">{formatTime(c.startedAt)}</TD>
            <TD className="whitespace-nowrap text-xs text-slate-600">
              {c.endedAt ? formatDuration((new Date(c.endedAt).getTime() - new Date(c.startedAt).getTime()) / 1000) : "running"}
            </TD>
            <TD>
              {c.exitCode === null ? (
                <Badge tone={c.endedAt ? "neutral" : "info"}>{c.endedAt ? "unknown" : "running"}</Badge>
              ) : (
                <Badge tone={c.exitCode === 0 ? "good" : "bad"}>{c.exitCode}</Badge>
              )}
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

export function StateHistory({ events }: { events: TSessionEventRow[] }) {
  if (!events.length) return <p className="text-sm text-slate-500">No state changes recorded yet.</p>;
  return (
    <ol aria-label="State history" className="space-y-2 border-l border-slate-200 pl-4">
      {events.map((e, i) => (
        <li key={`${e.at}-${i}`} className="relative text-sm">
          <span aria-hidden className="absolute top-1.5 -left-[21px] size-2.5 rounded-full border-2 border-white bg-slate-400" />
          <div className="flex flex-wrap items-center gap-2">
            {e.state ? <StateBadge state={e.state} /> : <Badge tone="info">watch</Badge>}
            <span className="font-medium text-slate-800">{e.change}</span>
            <time dateTime={e.at} className="text-xs text-slate-500">
              {formatTime(e.at)}
            </time>
          </div>
          {e.reason ? <p className="mt-0.5 text-xs text-slate-600">{e.reason}</p> : null}
        </li>
      ))}
    </ol>
  );
}
