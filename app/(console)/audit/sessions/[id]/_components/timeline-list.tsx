import type { ReactNode } from "react";
import { Badge } from "@/components/ui/badge";
import type { TTimelineEntry } from "@/lib/data/audit/get-session-timeline";
import { cn } from "@/lib/utils/cn";
import { outcomeTone, prettyParams, utc } from "@/app/(console)/audit/_components/format";

export const TIMELINE_KINDS = ["audit", "state", "command", "handoff"] as const;
export type TTimelineKind = (typeof TIMELINE_KINDS)[number];

const KIND: Record<TTimelineKind, { label: string; dot: string }> = {
  audit: { label: "Audit events", dot: "bg-sky-500" },
  state: { label: "State changes", dot: "bg-violet-500" },
  command: { label: "Commands", dot: "bg-slate-700" },
  handoff: { label: "Handoffs", dot: "bg-amber-500" },
};

type TProps = {
  entries: TTimelineEntry[];
  kinds: ReadonlySet<TTimelineKind>;
  onKinds: (k: ReadonlySet<TTimelineKind>) => void;
  onReplay: (commandId: string) => void;
};

export function TimelineList({ entries, kinds, onKinds, onReplay }: TProps) {
  const shown = entries.filter((e) => kinds.has(e.kind));
  return (
    <div className="rounded-lg border border-slate-200 bg-white">
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1 border-b border-slate-100 px-4 py-2.5">
        <legend className="sr-only">Show</legend>
        {TIMELINE_KINDS.map((k) => (
          <label key={k} className="inline-flex cursor-pointer items-center gap-1.5 text-sm text-slate-700">
            <input
              type="checkbox"
              className="size-4 accent-sky-600"
              checked={kinds.has(k)}
              onChange={(e) => {
                const next = new Set(kinds);
                if (e.target.checked) next.add(k);
                else next.delete(k);
                onKinds(next);
              }}
            />
            <span aria-hidden className={cn("size-2 rounded-full", KIND[k].dot)} />
            {KIND[k].label}
          </label>
        ))}
      </fieldset>
      {shown.length === 0 ? (
        <p className="px-4 py-8 text-center text-sm text-slate-500">Nothing recorded of the selected kinds.</p>
      ) : (
        <ol aria-label="Session timeline" className="max-h-[40rem] divide-y divide-slate-100 overflow-y-auto">
          {shown.map((e) => (
            <li key={e.key} id={e.kind === "command" ? `cmd-${e.id}` : undefined} className="flex gap-3 px-4 py-2.5 target:bg-amber-50">
              <span aria-hidden className={cn("mt-1.5 size-2 shrink-0 rounded-full", KIND[e.kind].dot)} />
              <div className="min-w-0 flex-1">
                <p className="font-mono text-[11px] text-slate-500" title={e.at}>
                  {utc(e.at)}
                </p>
                <Entry e={e} onReplay={onReplay} />
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function Entry({ e, onReplay }: { e: TTimelineEntry; onReplay: (id: string) => void }): ReactNode {
  switch (e.kind) {
    case "audit":
      return (
        <div className="text-sm">
          <span className="font-mono text-xs font-medium">{e.action}</span> <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge>{" "}
          <span className="text-slate-600">
            by {e.actorName} <span className="text-xs text-slate-400">({e.actorRole})</span>
          </span>
          <span className="ml-1 font-mono text-[11px] text-slate-400">#{e.seq}</span>
          {e.error ? <p className="mt-0.5 break-words text-xs text-red-700">{e.error}</p> : null}
          {e.params !== "{}" ? (
            <details className="mt-0.5">
              <summary className="cursor-pointer text-xs text-slate-500 hover:text-slate-800">parameters</summary>
              <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-[11px] text-slate-700">{prettyParams(e.params)}</pre>
            </details>
          ) : null}
        </div>
      );
    case "state":
      return (
        <p className="text-sm text-slate-700">
          {e.change} → <span className="font-medium">{e.state}</span>
          {e.reason ? <span className="text-slate-500">: {e.reason}</span> : null}
        </p>
      );
    case "command": {
      const tone = e.exitCode === null ? "neutral" : e.exitCode === 0 ? "good" : "bad";
      return (
        <div className="text-sm">
          <div className="flex flex-wrap items-center gap-2">
            <code className="min-w-0 break-all rounded bg-slate-900 px-1.5 py-0.5 font-mono text-xs text-slate-100">$ {e.command}</code>
            <Badge tone={tone}>{e.exitCode === null ? (e.endedAt ? "ended" : "no exit code") : `exit ${e.exitCode}`}</Badge>
            <button type="button" onClick={() => onReplay(e.id)} className="text-xs font-medium text-sky-700 hover:underline">
              Replay output
            </button>
          </div>
          <p className="mt-0.5 text-xs text-slate-500">
            {e.actorName ? `by ${e.actorName}` : "by an unknown user"}
            {e.endedAt ? ` · ran ${duration(e.at, e.endedAt)}` : ""}
            {e.outputTruncated ? " · output truncated when recorded" : ""}
          </p>
        </div>
      );
    }
    case "handoff":
      return (
        <p className="text-sm text-slate-700">
          {e.step === "handed" ? (
            <>
              Handed by <span className="font-medium">{e.fromName}</span> to <span className="font-medium">{e.toName}</span>
              <span className="text-slate-500">: “{e.reason}”</span>
            </>
          ) : e.step === "accepted" ? (
            <>
              <span className="font-medium">{e.toName}</span> took the handoff from {e.fromName}
            </>
          ) : (
            <>
              Handoff from {e.fromName} to {e.toName} ended
            </>
          )}
        </p>
      );
  }
}

function duration(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
