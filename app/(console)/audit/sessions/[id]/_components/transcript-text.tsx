import type { TReplayCommand } from "@/lib/data/audit/transcript-text";
import { utc } from "@/app/(console)/audit/_components/format";

// The transcript as page text, for reading, searching and copying; React escapes it all.
export function TranscriptText({ commands }: { commands: (TReplayCommand & { id: string })[] }) {
  return (
    <ol className="space-y-3" aria-label="Transcript as text">
      {commands.map((c) => (
        <li key={c.id} className="rounded-md border border-slate-200 bg-white">
          <p className="border-b border-slate-100 px-3 py-1.5 text-xs text-slate-500">
            {utc(c.startedAt)} UTC · {c.actorName ?? "unknown user"} · {c.exitCode === null ? "no exit code" : `exit ${c.exitCode}`}
            {c.outputTruncated ? " · output truncated when recorded" : ""}
          </p>
          <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-all px-3 py-2 font-mono text-xs text-slate-800">
            <span className="font-semibold text-sky-700">$ </span>
            {c.command}
            {"\n"}
            {c.output}
          </pre>
        </li>
      ))}
    </ol>
  );
}
