"use client";
import Link from "next/link";
import { useState } from "react";
import { EditLimitsDialog } from "@/app/(console)/computers/_components/edit-limits-dialog";
import { ConfigurationLimits } from "@/components/sessions/configuration-limits";
import { formatAgo, formatTime } from "@/components/sessions/format";
import { useNow } from "@/components/sessions/use-now";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import type { TComputerRow, TConfigurationRow } from "@/lib/dto/computers";

const ENFORCEMENT_LABEL: Record<string, string> = {
  maxShells: "MaxShells",
  maxShellsPerUser: "MaxShellsPerUser",
  maxConcurrentUsers: "MaxConcurrentUsers",
  maxMemoryPerShellMB: "MaxMemoryPerShellMB",
  maxProcessesPerShell: "MaxProcessesPerShell",
  idleTimeout: "Idle timeout",
};

function Enforcement({ c }: { c: TConfigurationRow }) {
  const entries = Object.entries(c.enforcement);
  const notEnforced = entries.filter(([, e]) => !e.enforced).length;
  if (!entries.length) return null;
  return (
    <details className="mt-2 text-xs">
      <summary className="cursor-pointer text-slate-600 hover:text-slate-900">
        How this host enforces the limits{" "}
        {notEnforced ? <Badge tone="warn">{notEnforced} not enforced</Badge> : <Badge tone="good">all enforced</Badge>}
      </summary>
      <ul className="mt-2 space-y-1.5">
        {entries.map(([key, e]) => (
          <li key={key}>
            <span className="font-medium text-slate-800">{ENFORCEMENT_LABEL[key] ?? key}</span>:{" "}
            {e.enforced ? <span className="text-emerald-700">enforced</span> : <span className="font-semibold text-amber-800">not enforced</span>}{" "}
            <span className="text-slate-600">({e.mechanism})</span>
            {e.note ? <p className="text-slate-500">{e.note}</p> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** First and last bytes, enough to tell two certificates apart at a glance (the whole one is in the title). */
function shortFingerprint(fp: string): string {
  return `${fp.slice(0, 11)}…${fp.slice(-11)}`;
}

export function ComputerCard({ computer: c, isAdmin }: { computer: TComputerRow; isAdmin: boolean }) {
  const now = useNow();
  const [editing, setEditing] = useState<string | null>(null);
  const editingConfig = c.configurations.find((x) => x.name === editing);
  const tone = c.status === "online" ? "good" : c.status === "offline" ? "bad" : "neutral";
  return (
    <Card className="space-y-4" aria-labelledby={`computer-${c.id}`} role="region">
      <div className="flex flex-wrap items-start gap-x-4 gap-y-1">
        <h3 id={`computer-${c.id}`} className="text-base font-semibold text-slate-900">
          {c.name}
        </h3>
        <Badge tone={tone}>{c.status}</Badge>
        <Link href={`/sessions?computer=${encodeURIComponent(c.name)}`} className="ml-auto text-sm font-medium text-sky-700 hover:underline">
          Sessions on {c.name}
        </Link>
        <dl className="flex basis-full flex-wrap gap-x-5 gap-y-1 text-xs text-slate-600">
          <div>
            <dt className="inline text-slate-500">Last heartbeat </dt>
            <dd className="inline" title={formatTime(c.lastSeenAt)}>
              {now ? formatAgo(c.lastSeenAt, now) : formatTime(c.lastSeenAt)}
            </dd>
          </div>
          <div>
            <dt className="inline text-slate-500">Agent </dt>
            <dd className="inline">{c.agentVersion ?? "unknown"}</dd>
          </div>
          <div>
            <dt className="inline text-slate-500">Address </dt>
            <dd className="inline font-mono">{c.address}</dd>
          </div>
          {c.address.startsWith("https://") ? (
            <div>
              <dt className="inline text-slate-500">Certificate </dt>
              {c.tlsFingerprint ? (
                <dd className="inline" title={`SHA-256 ${c.tlsFingerprint}`}>
                  pinned <span className="font-mono">{shortFingerprint(c.tlsFingerprint)}</span>
                </dd>
              ) : (
                <dd className="inline">checked against trusted CAs</dd>
              )}
            </div>
          ) : null}
        </dl>
      </div>
      {c.lastError ? <Alert className="[overflow-wrap:anywhere]">Last error: {c.lastError}</Alert> : null}
      {c.configurations.length === 0 ? (
        <p className="text-sm text-slate-500">No session configuration reported yet{c.status === "online" ? "" : ": the agent has not answered"}.</p>
      ) : (
        <div className="grid gap-3 md:grid-cols-2">
          {c.configurations.map((cfg) => (
            <div key={cfg.name} className="rounded-md border border-slate-200 p-3">
              <div className="mb-2 flex items-center gap-2">
                <h4 className="text-sm font-medium text-slate-900">{cfg.name}</h4>
                {isAdmin ? (
                  <Button size="sm" variant="secondary" className="ml-auto" aria-label={`Edit limits of ${cfg.name} on ${c.name}`} onClick={() => setEditing(cfg.name)}>
                    Edit limits
                  </Button>
                ) : null}
              </div>
              <ConfigurationLimits configuration={cfg} computerName={c.name} className="border-0 bg-transparent p-0" />
              <Enforcement c={cfg} />
            </div>
          ))}
        </div>
      )}
      {editingConfig ? (
        <EditLimitsDialog computerId={c.id} computerName={c.name} configuration={editingConfig} open onOpenChange={(o) => !o && setEditing(null)} />
      ) : null}
    </Card>
  );
}
