"use client";
import "@xterm/xterm/css/xterm.css";
import { useInfiniteQuery } from "@tanstack/react-query";
import type { Terminal } from "@xterm/xterm";
import { useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from "react";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { Select } from "@/components/ui/input";
import { replayLines } from "@/lib/data/audit/transcript-text";
import { sessionTranscriptQuery } from "@/lib/queries/audit";
import { TranscriptText } from "@/app/(console)/audit/sessions/[id]/_components/transcript-text";

export type TReplayHandle = { jumpTo: (commandId: string) => void };

const SPEEDS = [
  { label: "1×", lines: 1 },
  { label: "5×", lines: 5 },
  { label: "25×", lines: 25 },
] as const;
const TICK_MS = 40;
/** Commands loaded without asking; more on "Load more". */
const AUTO_PAGES = 8;

type TCursor = { index: number; line: number };

// A read-only terminal that replays the recorded transcript: play, pause, step a command,
// show everything, or jump to one command from the timeline. Nothing typed reaches anything.
export function TranscriptReplay({ sessionId, label, ref }: { sessionId: string; label: string; ref?: Ref<TReplayHandle> }) {
  const { data, error, isLoading, hasNextPage, isFetchingNextPage, fetchNextPage } = useInfiniteQuery(sessionTranscriptQuery(sessionId));
  const commands = useMemo(() => data?.pages.flatMap((p) => p.commands) ?? [], [data]);
  const pages = data?.pages.length ?? 0;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && pages < AUTO_PAGES) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, pages, fetchNextPage]);

  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const [ready, setReady] = useState(false);
  // Where the replay stands: kept in a ref because the terminal is written from a timer.
  const pos = useRef<TCursor>({ index: 0, line: 0 });
  const [cursor, setCursorState] = useState<TCursor>(pos.current);
  const setCursor = (c: TCursor) => {
    pos.current = c;
    setCursorState(c);
  };
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [view, setView] = useState<"terminal" | "text">("terminal");

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    void (async () => {
      // xterm touches the DOM at import time: load it in the browser only.
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (disposed || !host.current) return;
      const t = new Terminal({
        disableStdin: true,
        cursorBlink: false,
        cursorInactiveStyle: "none",
        fontSize: 13,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
        scrollback: 20_000,
        theme: { background: "#020617", foreground: "#e2e8f0", cursor: "#020617", selectionBackground: "#334155" },
      });
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(host.current);
      const refit = () => {
        try {
          fit.fit();
        } catch {
          // Not laid out yet; the next resize fits it.
        }
      };
      refit();
      const observer = new ResizeObserver(() => requestAnimationFrame(refit));
      observer.observe(host.current);
      term.current = t;
      setReady(true);
      cleanup = () => {
        observer.disconnect();
        t.dispose();
        term.current = null;
      };
    })();
    return () => {
      disposed = true;
      cleanup();
    };
  }, []);

  /** Clears the terminal and writes commands [0, index) in full. */
  const renderUpTo = useCallback(
    (index: number) => {
      const t = term.current;
      if (!t) return;
      t.reset();
      t.write(commands.slice(0, index).flatMap(replayLines).join(""));
      pos.current = { index, line: 0 };
      setCursorState(pos.current);
    },
    [commands],
  );

  // Playback: a few lines per tick, in order, until the loaded transcript ends.
  useEffect(() => {
    if (!playing || !ready) return;
    const timer = setInterval(() => {
      const t = term.current;
      const c = pos.current;
      const cmd = commands[c.index];
      if (!t || !cmd) {
        setPlaying(false);
        return;
      }
      const lines = replayLines(cmd, c.index);
      const end = Math.min(lines.length, c.line + speed);
      t.write(lines.slice(c.line, end).join(""));
      pos.current = end >= lines.length ? { index: c.index + 1, line: 0 } : { index: c.index, line: end };
      setCursorState(pos.current);
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [playing, ready, commands, speed]);

  useImperativeHandle(
    ref,
    () => ({
      jumpTo: (commandId: string) => {
        const i = commands.findIndex((c) => c.id === commandId);
        if (i < 0) return;
        setPlaying(false);
        setView("terminal");
        renderUpTo(i + 1);
      },
    }),
    [commands, renderUpTo],
  );

  const done = cursor.index >= commands.length;
  const play = () => {
    if (done) renderUpTo(0);
    setPlaying(true);
  };
  /** Finishes the command in progress, or writes the next one whole. */
  const step = () => {
    setPlaying(false);
    const t = term.current;
    const c = pos.current;
    const cmd = commands[c.index];
    if (!t || !cmd) return;
    t.write(replayLines(cmd, c.index).slice(c.line).join(""));
    setCursor({ index: c.index + 1, line: 0 });
  };
  const showAll = () => {
    setPlaying(false);
    renderUpTo(commands.length);
  };
  const restart = () => {
    setPlaying(false);
    renderUpTo(0);
  };

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label="Transcript replay">
        <Button size="sm" onClick={playing ? () => setPlaying(false) : play} disabled={!ready || commands.length === 0}>
          {playing ? "Pause" : done && cursor.index > 0 ? "Replay again" : "Play"}
        </Button>
        <Button size="sm" variant="secondary" onClick={step} disabled={!ready || done}>
          Step
        </Button>
        <Button size="sm" variant="secondary" onClick={showAll} disabled={!ready || commands.length === 0}>
          Show all
        </Button>
        <Button size="sm" variant="ghost" onClick={restart} disabled={!ready || (cursor.index === 0 && cursor.line === 0)}>
          Restart
        </Button>
        <label className="flex items-center gap-1 text-xs text-slate-500">
          Speed
          <Select className="h-8 w-24" value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
            {SPEEDS.map((s) => (
              <option key={s.label} value={s.lines}>
                {s.label}
              </option>
            ))}
          </Select>
        </label>
        <span className="ml-auto text-xs tabular-nums text-slate-500" aria-live="polite">
          {commands.length === 0 ? "" : `Command ${Math.min(cursor.index + (cursor.line > 0 ? 1 : 0), commands.length)} of ${commands.length}${hasNextPage ? "+" : ""}`}
        </span>
      </div>
      {error ? <Alert>Could not load the transcript: {error.message}</Alert> : null}
      <div className={view === "terminal" ? "overflow-hidden rounded-md border border-slate-800 bg-slate-950" : "hidden"}>
        <div className="flex items-center justify-between gap-2 border-b border-slate-800 px-3 py-1.5 text-xs text-slate-400">
          <span>Read-only replay of {label}: recorded output, written as plain text</span>
          <button type="button" className="shrink-0 font-medium text-sky-300 hover:underline" onClick={() => setView("text")}>
            Show as page text
          </button>
        </div>
        <div ref={host} className="h-[28rem] w-full px-1 py-1" role="group" aria-label={`Transcript of ${label} (read-only)`} data-testid="transcript-terminal" />
      </div>
      {view === "text" ? (
        <>
          <div className="flex justify-end">
            <button type="button" className="text-xs font-medium text-sky-700 hover:underline" onClick={() => setView("terminal")}>
              Show in the terminal
            </button>
          </div>
          <TranscriptText commands={commands} />
        </>
      ) : null}
      {isLoading ? <p className="text-sm text-slate-500">Loading the transcript…</p> : null}
      {!isLoading && commands.length === 0 ? <p className="text-sm text-slate-500">No commands were recorded in this session.</p> : null}
      {hasNextPage && pages >= AUTO_PAGES ? (
        <Button size="sm" variant="secondary" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          Load more commands
        </Button>
      ) : null}
    </div>
  );
}
