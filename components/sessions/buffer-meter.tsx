import { formatBytes } from "@/components/sessions/format";
import { Badge } from "@/components/ui/badge";
import { Progress } from "@/components/ui/progress";
import type { TSessionRow } from "@/lib/dto/sessions";

type TBufferFields = Pick<TSessionRow, "name" | "bufferedBytes" | "bufferSizeBytes" | "outputBlocked" | "droppedBytes" | "totalDroppedBytes" | "outputBufferingMode">;

// Output waiting for a Receive: how full the buffer is, whether the shell is blocked on it
// (Block mode) and how much the Drop mode has discarded so far.
export function BufferMeter({ session, wide = false }: { session: TBufferFields; wide?: boolean }) {
  const { bufferedBytes: used, bufferSizeBytes: size } = session;
  const ratio = size > 0 ? used / size : 0;
  const tone = session.outputBlocked || ratio >= 0.9 ? "bad" : ratio >= 0.6 ? "warn" : "info";
  const valueText = `${formatBytes(used)} of ${formatBytes(size)}`;
  return (
    <div className={wide ? "w-full space-y-1" : "w-[4.5rem] space-y-1"}>
      <Progress value={used} max={size} tone={tone} label={`Output buffer of ${session.name}`} valueText={valueText} />
      <div className="flex flex-wrap items-center gap-1 text-[11px] leading-4 text-slate-500">
        <span className="tabular-nums">{size > 0 ? `${Math.round(ratio * 100)}%` : "—"}</span>
        <span aria-hidden>·</span>
        <span>{session.outputBufferingMode}</span>
        {session.outputBlocked ? (
          <Badge tone="bad" title="The buffer is full: the shell's writes block until someone receives the output">
            blocked
          </Badge>
        ) : null}
        {session.droppedBytes > 0 ? (
          <Badge tone="warn" title={`${session.totalDroppedBytes.toLocaleString("en-US")} bytes dropped in all since the session started`}>
            {formatBytes(session.droppedBytes)} dropped
          </Badge>
        ) : null}
      </div>
    </div>
  );
}
