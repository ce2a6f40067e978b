import type { TPresence } from "@/lib/realtime/terminal-protocol";

const small =
  "rounded border border-slate-600 px-1.5 py-0.5 text-slate-200 hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-sky-400";

const doing = (w: TPresence) =>
  w.state === "joined"
    ? "has joined: types alongside the holder"
    : w.state === "asking"
      ? `asks to join${w.reason ? `: ${w.reason}` : ""}`
      : w.state === "waiting"
        ? "asks to watch"
        : "is watching";

/**
 * Who watches or has joined this session now, live. The holder (`canEnd`) answers join requests
 * and may end any watch or join.
 */
export function Presence({
  watchers,
  canEnd,
  onEnd,
  onAnswer,
}: {
  watchers: TPresence[];
  canEnd: boolean;
  onEnd: (userId: string) => void;
  onAnswer: (userId: string, accept: boolean) => void;
}) {
  if (watchers.length === 0) return null;
  return (
    <ul aria-label="Watching this session" className="flex flex-wrap gap-x-4 gap-y-1 border-b border-slate-800 px-3 py-1.5 text-xs text-sky-200">
      {watchers.map((w) => (
        <li key={w.userId} className="flex items-center gap-2">
          <span aria-hidden className={w.state === "joined" ? "size-1.5 rounded-full bg-emerald-400" : "size-1.5 rounded-full bg-sky-400"} />
          <span className="min-w-0 break-words">
            {w.name} {doing(w)}
          </span>
          {canEnd && w.state === "waiting" ? (
            <>
              <button type="button" onClick={() => onAnswer(w.userId, true)} className={small} aria-label={`Let ${w.name} watch`}>
                Accept
              </button>
              <button type="button" onClick={() => onAnswer(w.userId, false)} className={small} aria-label={`Refuse ${w.name} watching`}>
                Refuse
              </button>
            </>
          ) : null}
          {canEnd && w.state === "asking" ? (
            <>
              <button type="button" onClick={() => onAnswer(w.userId, true)} className={small} aria-label={`Let ${w.name} join`}>
                Accept
              </button>
              <button type="button" onClick={() => onAnswer(w.userId, false)} className={small} aria-label={`Refuse ${w.name}`}>
                Refuse
              </button>
            </>
          ) : null}
          {canEnd && w.state !== "waiting" ? (
            <button type="button" onClick={() => onEnd(w.userId)} className={small} aria-label={`End the ${w.state === "joined" ? "join" : "watch"} of ${w.name}`}>
              {w.state === "joined" ? "End join" : "End watch"}
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
