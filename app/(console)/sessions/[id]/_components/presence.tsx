import type { TPresence } from "@/lib/realtime/terminal-protocol";

/** Who watches this session now, live; the holder may end each watch. */
export function Presence({ watchers, canEnd, onEnd }: { watchers: TPresence[]; canEnd: boolean; onEnd: (userId: string) => void }) {
  if (watchers.length === 0) return null;
  return (
    <ul aria-label="Watching this session" className="flex flex-wrap gap-x-4 gap-y-1 border-b border-slate-800 px-3 py-1.5 text-xs text-sky-200">
      {watchers.map((w) => (
        <li key={w.userId} className="flex items-center gap-2">
          <span aria-hidden className="size-1.5 rounded-full bg-sky-400" />
          <span>{w.name} is watching</span>
          {canEnd ? (
            <button
              type="button"
              onClick={() => onEnd(w.userId)}
              className="rounded border border-slate-600 px-1.5 py-0.5 text-slate-200 hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-sky-400"
              aria-label={`End the watch of ${w.name}`}
            >
              End watch
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
