import type { TRole } from "@/lib/auth/roles";
import type { TParticipation, TPresence } from "@/lib/realtime/terminal-protocol";

// Who is watching which session's terminal right now, on this console process (every instance's
// together: lib/cluster/presence.ts). Each entry is
// one watching terminal (a browser tab); `end` closes it from outside (the holder ends a watch).
// Kept on globalThis like the socket.io server: the relay and server actions share it.
export type TWatcherEntry = {
  socketId: string;
  userId: string;
  /** The name agents know the user by (their username). */
  username: string;
  /** "Hana Helpdesk (help desk)". */
  name: string;
  role: TRole;
  since: Date;
  state: TParticipation;
  /** While `asking`: the reason given for the join request, if any. */
  joinReason?: string;
  end: (reason: string) => void;
  /** The holder let this user type alongside them. */
  grant: () => void;
  /** A line for this terminal (the holder refused a join). */
  tell: (text: string) => void;
  /** A `waiting` watcher: the holder's answer to their request to watch. */
  admit?: (accept: boolean) => void;
};

/** socket.io room of a session's participants: its holder's terminals and its watchers. */
export const roomForSession = (sessionId: string) => `session:${sessionId}`;

const g = globalThis as typeof globalThis & { __batonWatchers?: Map<string, Map<string, TWatcherEntry>> };
const sessions = (g.__batonWatchers ??= new Map());

export function addWatcher(sessionId: string, entry: TWatcherEntry): void {
  let m = sessions.get(sessionId);
  if (!m) sessions.set(sessionId, (m = new Map()));
  m.set(entry.socketId, entry);
}

export function removeWatcher(sessionId: string, socketId: string): boolean {
  const m = sessions.get(sessionId);
  if (!m?.delete(socketId)) return false;
  if (m.size === 0) sessions.delete(sessionId);
  return true;
}

/** Watching terminals of a session other than `exceptSocket` (a tab that re-watches counts once). */
export function watcherCount(sessionId: string, exceptSocket?: string): number {
  const m = sessions.get(sessionId);
  if (!m) return 0;
  return m.size - (exceptSocket && m.has(exceptSocket) ? 1 : 0);
}

export function watchersOf(sessionId: string): TWatcherEntry[] {
  return [...(sessions.get(sessionId)?.values() ?? [])];
}

const rank: Record<TParticipation, number> = { waiting: 0, watching: 1, asking: 2, joined: 3 };

/** What participants are shown: one line per watching user, however many tabs they have. */
export function presenceOf(sessionId: string): TPresence[] {
  return mergePresence(
    watchersOf(sessionId).map((w) => ({ userId: w.userId, name: w.name, role: w.role, since: w.since.toISOString(), state: w.state, ...(w.joinReason ? { reason: w.joinReason } : {}) })),
  );
}

/** One line per user from one line per terminal (of this process, or of every console instance). */
export function mergePresence(terminals: readonly TPresence[]): TPresence[] {
  const byUser = new Map<string, TPresence>();
  for (const w of terminals) {
    const seen = byUser.get(w.userId);
    const state = seen && rank[seen.state] > rank[w.state] ? seen.state : w.state;
    const since = seen && seen.since < w.since ? seen.since : w.since;
    const reason = state === "asking" ? (w.state === "asking" && w.reason ? w.reason : seen?.reason) : undefined;
    byUser.set(w.userId, { userId: w.userId, name: w.name, role: w.role, since, state, ...(reason ? { reason } : {}) });
  }
  return [...byUser.values()].sort((a, b) => a.since.localeCompare(b.since));
}

/** Sessions this process has watching terminals of. */
export function watchedSessionIds(): string[] {
  return [...sessions.keys()];
}
