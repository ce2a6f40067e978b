"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { NotAttached } from "@/app/(console)/sessions/[id]/_components/not-attached";
import { RunCommandForm } from "@/app/(console)/sessions/[id]/_components/run-command-form";
import { CommandsTable, StateHistory } from "@/app/(console)/sessions/[id]/_components/session-history";
import { SessionProperties } from "@/app/(console)/sessions/[id]/_components/session-properties";
import { TerminalView } from "@/app/(console)/sessions/[id]/_components/terminal-view";
import { WatchingChoice } from "@/app/(console)/sessions/[id]/_components/watching-choice";
import { SessionActions } from "@/app/(console)/sessions/_components/session-actions";
import { ConfigurationLimits } from "@/components/sessions/configuration-limits";
import { IdleTimeoutFlag } from "@/components/sessions/idle-flag";
import { AvailabilityBadge, StateBadge } from "@/components/sessions/state-badge";
import type { TViewer } from "@/components/sessions/viewer";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { JOIN_ROLES, WATCH_ROLES } from "@/lib/auth/roles";
import type { TSessionDetail } from "@/lib/dto/sessions";
import { sessionDetailQuery } from "@/lib/queries/sessions";
import { useLiveEvent } from "@/lib/realtime/use-live-events";

export function SessionClient({ initialDetail, viewer }: { initialDetail: TSessionDetail; viewer: TViewer }) {
  const { data, error } = useQuery(sessionDetailQuery(initialDetail.session.id, initialDetail));
  const { session: s, configuration, commands, events } = data ?? initialDetail;
  const label = `${s.name} on ${s.computerName}`;
  const holding = viewer.canAct && s.agentState === "Opened" && s.holderId === viewer.id;
  const [notice, setNotice] = useState<string | null>(null);
  // Watching is read-only and changes nothing of the session; it is still a deliberate step (audited).
  const canWatch = WATCH_ROLES.includes(viewer.role) && !holding && (s.agentState === "Opened" || s.agentState === "Disconnected");
  const [watchOn, setWatchOn] = useState(false);
  const watching = canWatch && watchOn;
  useLiveEvent((e) => {
    if (e.type === "session.taken-over" && e.id === s.id) setNotice(`${e.by} took over this session: “${e.reason}”.`);
    if (e.type === "handoff.received" && e.id === s.id) setNotice(`${e.from} handed this session to you: “${e.reason}”.`);
  });

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold text-slate-900">
          {s.name} <span className="font-normal text-slate-500">on {s.computerName}</span>
        </h1>
        <StateBadge state={s.state} />
        <AvailabilityBadge availability={s.availability} />
        <IdleTimeoutFlag session={s} />
      </div>
      {error ? <Alert>Could not refresh this session: {error.message}</Alert> : null}
      {notice ? <Alert tone="info">{notice}</Alert> : null}

      <div className="grid gap-6 xl:grid-cols-[minmax(0,1fr)_27rem]">
        <section aria-labelledby="terminal-heading" className="min-w-0 space-y-3">
          <div className="flex flex-wrap items-center gap-2">
            <h2 id="terminal-heading" className="text-sm font-semibold text-slate-900">
              Terminal
            </h2>
            <SessionActions session={s} minIdleTimeoutSec={configuration?.minIdleTimeoutSec} className="ml-auto" />
          </div>
          {canWatch ? (
            <div className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
              {watching ? (
                <Button variant="secondary" size="sm" onClick={() => setWatchOn(false)}>
                  Stop watching
                </Button>
              ) : (
                <Button size="sm" onClick={() => setWatchOn(true)}>
                  Watch live terminal
                </Button>
              )}
              <span>
                {s.askBeforeWatching
                  ? "The holder asks to be asked: they accept or refuse your watch in their terminal."
                  : "Read-only: the holder and everyone watching see that you are here; nothing of the session changes."}
              </span>
            </div>
          ) : null}
          {s.agentState !== "Closed" && s.agentState !== "Broken" ? <WatchingChoice session={s} allowed={configuration?.allowAskBeforeWatching ?? true} /> : null}
          {holding ? (
            <TerminalView key={s.id} sessionId={s.id} label={label} />
          ) : watching ? (
            <TerminalView
              key={`watch-${s.id}`}
              sessionId={s.id}
              label={label}
              mode="watch"
              viewerId={viewer.id}
              canAskToJoin={JOIN_ROLES.includes(viewer.role) && s.agentState === "Opened" && s.holderId !== null}
            />
          ) : (
            <NotAttached session={s} viewer={viewer} />
          )}
          {s.can.run ? (
            <Card className="p-4">
              <RunCommandForm session={s} />
            </Card>
          ) : null}
        </section>
        <aside className="space-y-6">
          <Card>
            <h2 className="mb-3 text-sm font-semibold text-slate-900">Properties</h2>
            <SessionProperties s={s} viewerId={viewer.id} />
          </Card>
          {configuration ? (
            <Card>
              <h2 className="mb-3 text-sm font-semibold text-slate-900">Configuration {configuration.name}</h2>
              <ConfigurationLimits configuration={configuration} computerName={s.computerName} />
            </Card>
          ) : null}
        </aside>
      </div>

      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_27rem]">
        <section aria-labelledby="commands-heading" className="min-w-0">
          <h2 id="commands-heading" className="mb-3 text-sm font-semibold text-slate-900">
            Commands
          </h2>
          <CommandsTable commands={commands} />
        </section>
        <section aria-labelledby="history-heading">
          <h2 id="history-heading" className="mb-3 text-sm font-semibold text-slate-900">
            State history
          </h2>
          <Card>
            <StateHistory events={events} />
          </Card>
        </section>
      </div>
    </div>
  );
}
