// The browser terminal's socket.io messages and the pure helpers both sides share.
// Safe for client components: no Node or server imports.
import type { TRole } from "@/lib/auth/roles";

/** Lines a browser terminal keeps above its screen; a fresh replay sends no more than these. */
export const TERMINAL_SCROLLBACK_LINES = 10_000;

/**
 * Where the last `lines` lines of `data` begin (0 when it holds no more than that): bytes before
 * it would only scroll out of a terminal's scrollback.
 */
export function lastLines(data: Uint8Array, lines: number): number {
  let seen = 0;
  for (let i = data.length - 1; i >= 0; i--) {
    if (data[i] === 0x0a && ++seen > lines) return i + 1;
  }
  return 0;
}

/** Largest replay piece sent to a browser in one message. */
export const TERMINAL_CHUNK_BYTES = 256 * 1024;

/** `terminal.output`: bytes of the session's output starting at `offset`. */
export type TTerminalOutput = { sessionId: string; offset: number; data: Uint8Array };

/** `terminal.notice`: a line the terminal shows (dimmed) where output is missing. */
export type TTerminalNotice = { sessionId: string; text: string };

/**
 * `terminal.presence`: who watches the session now (one entry per user), sent to every participant.
 * `reason`: why an `asking` watcher asks to join, as they wrote it (absent when they gave none).
 */
export type TPresence = { userId: string; name: string; role: TRole; since: string; state: TParticipation; reason?: string };
/**
 * `waiting`: asked to watch a session whose holder chose "no watching without asking", sees
 * nothing until the holder accepts. A watcher watches; one who asked to type is `asking` until the
 * holder answers; `joined` types alongside the holder.
 */
export type TParticipation = "waiting" | "watching" | "asking" | "joined";
export type TTerminalPresence = { sessionId: string; watchers: TPresence[] };

/** `terminal.waiting`: this watch waits for the holder's answer (the session's holder asks to be asked). */
export type TTerminalWaiting = { sessionId: string; text: string };

/** `terminal.refused`: the server refused a message from this terminal (a watcher typing); nothing changed. */
export type TTerminalRefused = { sessionId: string; text: string };

const bytes = (n: number) => `${n.toLocaleString("en-US")} byte${n === 1 ? "" : "s"}`;

/**
 * Why the output a viewer gets starts later than where it asked: dropped in Drop mode, or older
 * than the retained window. Null when nothing is missing.
 */
export function describeGap(g: { from: number; offset: number; droppedBytes: number; fresh: boolean }): string | null {
  const missing = g.offset - g.from;
  if (missing <= 0) return null;
  const dropped = Math.min(g.droppedBytes, missing);
  const expired = missing - dropped;
  const parts: string[] = [];
  if (dropped > 0) parts.push(`${bytes(dropped)} dropped while disconnected (OutputBufferingMode Drop)`);
  if (expired > 0) parts.push(g.fresh ? `${bytes(expired)} of earlier output beyond the retained window` : `${bytes(expired)} older than the retained window`);
  return `${parts.join("; ")}: not shown`;
}

/** Where a window that starts mid-stream can begin cleanly: after its first line break (if one is near). */
export function startAtLine<T extends Uint8Array>(offset: number, data: T): { offset: number; data: T } {
  const nl = data.subarray(0, 4096).indexOf(0x0a);
  if (nl < 0) return { offset, data };
  return { offset: offset + nl + 1, data: data.subarray(nl + 1) as T };
}

/**
 * Each byte once: the part of `data` (at `offset`) a terminal whose cursor is `cursor` has not
 * written yet (a replay may overlap live output it already wrote). Null when nothing is new.
 */
export function unwrittenPart<T extends Uint8Array>(cursor: number | null, offset: number, data: T): { offset: number; data: T; end: number } | null {
  if (cursor !== null && offset < cursor) {
    data = data.subarray(Math.min(data.length, cursor - offset)) as T;
    offset = cursor;
  }
  return data.length === 0 ? null : { offset, data, end: offset + data.length };
}

/** How a terminal shows a notice (where output is missing): a dimmed line of its own. */
export const noticeLine = (text: string) => `\r\n\x1b[2;3m── ${text} ──\x1b[0m\r\n`;
