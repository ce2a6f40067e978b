"use client";
import type { ReactNode } from "react";
import { BufferMeter } from "@/components/sessions/buffer-meter";
import { formatBytes, formatDuration, formatTime } from "@/components/sessions/format";
import { IdleCountdown } from "@/components/sessions/idle-countdown";
import { IdleTimeoutFlag } from "@/components/sessions/idle-flag";
import { AvailabilityBadge, StateBadge } from "@/components/sessions/state-badge";
import type { TSessionRow } from "@/lib/dto/sessions";

const dash = <span className="text-slate-400">—</span>;

// Every field of the session, PowerShell's names first.
export function SessionProperties({ s, viewerId }: { s: TSessionRow; viewerId: string }) {
  const items: [string, ReactNode][] = [
    ["Id", s.agentSessionId],
    ["Name", s.name],
    ["ComputerName", s.computerName],
    ["State", <StateBadge key="st" state={s.state} />],
    ["ConfigurationName", s.configurationName],
    ["Availability", <AvailabilityBadge key="av" availability={s.availability} />],
    ["InstanceId", <code key="iid" className="break-all font-mono text-xs">{s.instanceId}</code>],
    ["State on the computer", s.agentState === s.state ? s.agentState : `${s.agentState} (attached to ${s.holderName ?? "someone else"})`],
    ["Reason", s.reason ?? dash],
    ["Owner", s.ownerName],
    ["Holder", s.holderName ? (s.holderId === viewerId ? `${s.holderName} (you)` : s.holderName) : dash],
    ["Handed to", s.handedTo ? `${s.handedTo.id === viewerId ? "you" : s.handedTo.name}, by ${s.handedTo.by} at ${formatTime(s.handedTo.at)}: ${s.handedTo.reason}` : dash],
    [
      "IdleTimeoutSec",
      <span key="idle" className="inline-flex items-center gap-1.5">
        {s.idleTimeoutSec} s ({formatDuration(s.idleTimeoutSec)})
        <IdleTimeoutFlag session={s} />
      </span>,
    ],
    ["Max idle timeout", s.maxIdleTimeoutSec === null ? dash : `${s.maxIdleTimeoutSec} s (${formatDuration(s.maxIdleTimeoutSec)}), from ${s.configurationName}`],
    ["OutputBufferingMode", s.outputBufferingMode],
    ["Disconnected on", formatTime(s.disconnectedOn)],
    ["Expires", s.expiresOn ? <span key="exp">{formatTime(s.expiresOn)} · in <IdleCountdown session={s} /></span> : dash],
    ["Output buffer", <BufferMeter key="buf" session={s} wide />],
    ["Buffered", `${formatBytes(s.bufferedBytes)} of ${formatBytes(s.bufferSizeBytes)}${s.outputBlocked ? " (full: the shell is blocked)" : ""}`],
    ["Dropped since last Receive", `${s.droppedBytes.toLocaleString("en-US")} bytes`],
    ["Dropped in all", `${s.totalDroppedBytes.toLocaleString("en-US")} bytes`],
    ["Running command", s.runningCommand ? <code key="cmd" className="break-all font-mono text-xs">{s.runningCommand}</code> : dash],
    ["Command started", formatTime(s.commandStartedOn)],
    ["Updated", formatTime(s.updatedAt)],
    ["Console id", <code key="id" className="break-all font-mono text-xs">{s.id}</code>],
  ];
  return (
    <dl className="grid grid-cols-[10.5rem_minmax(0,1fr)] gap-x-3 gap-y-2 text-sm" aria-label="Session properties">
      {items.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{k}</dt>
          <dd className="min-w-0 text-slate-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
