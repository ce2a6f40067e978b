"use client";
import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Alert, Card } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import type { TSessionTimeline } from "@/lib/data/audit/get-session-timeline";
import { sessionTimelineQuery } from "@/lib/queries/audit";
import { count, utc } from "@/app/(console)/audit/_components/format";
import { TimelineList, TIMELINE_KINDS, type TTimelineKind } from "@/app/(console)/audit/sessions/[id]/_components/timeline-list";
import { TranscriptReplay, type TReplayHandle } from "@/app/(console)/audit/sessions/[id]/_components/transcript-replay";

export function TimelineClient({ initial }: { initial: TSessionTimeline }) {
  const { data, error } = useQuery(sessionTimelineQuery(initial.sessionId, initial));
  const t = data ?? initial;
  const [kinds, setKinds] = useState<ReadonlySet<TTimelineKind>>(new Set(TIMELINE_KINDS));
  const replay = useRef<TReplayHandle>(null);
  const replayBox = useRef<HTMLDivElement>(null);

  return (
    <div className="space-y-6">
      {error ? <Alert>Could not refresh: {error.message}</Alert> : null}
      <Summary t={t} />
      <div className="grid gap-6 xl:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <section aria-labelledby="timeline-heading" className="min-w-0">
          <h2 id="timeline-heading" className="mb-2 text-base font-semibold text-slate-900">
            Timeline
          </h2>
          {t.truncated ? (
            <Alert tone="info" className="mb-3">
              This session has more history than one page shows; the first {count(2000)} entries of each kind are listed.
            </Alert>
          ) : null}
          <TimelineList
            entries={t.entries}
            kinds={kinds}
            onKinds={setKinds}
            onReplay={(commandId) => {
              replay.current?.jumpTo(commandId);
              replayBox.current?.scrollIntoView({ behavior: "smooth", block: "start" });
            }}
          />
        </section>
        <section aria-labelledby="transcript-heading" ref={replayBox} className="min-w-0 scroll-mt-4">
          <h2 id="transcript-heading" className="mb-2 text-base font-semibold text-slate-900">
            Transcript
          </h2>
          <TranscriptReplay ref={replay} sessionId={t.sessionId} label={t.session?.name ?? t.recorded.name ?? t.sessionId} />
        </section>
      </div>
    </div>
  );
}

const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? "" : "s"}`;

function Summary({ t }: { t: TSessionTimeline }) {
  const s = t.session;
  const facts: [string, string][] = s
    ? [
        ["Computer", s.computerName],
        ["Configuration", s.configurationName],
        ["Owner", s.ownerName],
        ["Created", `${utc(s.createdAt)} UTC`],
      ]
    : [
        ["Computer", t.recorded.computerName ?? "—"],
        ["Recorded name", t.recorded.name ?? "—"],
      ];
  return (
    <Card className="flex flex-wrap items-start gap-x-8 gap-y-3 py-4">
      <div>
        <p className="text-xs uppercase tracking-wide text-slate-500">State</p>
        <p className="mt-0.5">{s ? <Badge tone={s.state === "Closed" ? "neutral" : s.state === "Broken" ? "bad" : "info"}>{s.state}</Badge> : <Badge>removed from the console</Badge>}</p>
      </div>
      {facts.map(([k, v]) => (
        <div key={k}>
          <p className="text-xs uppercase tracking-wide text-slate-500">{k}</p>
          <p className="mt-0.5 text-sm text-slate-900">{v}</p>
        </div>
      ))}
      <div className="ml-auto text-right text-xs text-slate-500">
        <p>
          {plural(t.counts.audit, "audit event")} · {plural(t.counts.state, "state change")}
        </p>
        <p>
          {plural(t.counts.command, "command")} · {plural(t.counts.handoff, "handoff")}
        </p>
        <p className="mt-1 font-mono">{t.sessionId}</p>
      </div>
    </Card>
  );
}
