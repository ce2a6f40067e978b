"use client";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { Presence } from "@/app/(console)/sessions/[id]/_components/presence";
import type { TActionFailure } from "@/components/sessions/action-error";
import { ReasonDialog } from "@/components/sessions/reason-dialog";
import { acquireSocket, releaseSocket } from "@/lib/realtime/socket-client";
import { noticeLine, TERMINAL_SCROLLBACK_LINES, unwrittenPart, type TPresence, type TTerminalNotice, type TTerminalPresence, type TTerminalRefused, type TTerminalWaiting } from "@/lib/realtime/terminal-protocol";
import { ZJoinReason } from "@/lib/sessions/reason";
import { cn } from "@/lib/utils/cn";

type TStatus = { kind: "attaching" } | { kind: "waiting"; text: string } | { kind: "attached" } | { kind: "failed"; error: string } | { kind: "closed"; reason: string } | { kind: "offline" };
type TAttachAck = { ok: true; cols?: number; rows?: number; from: number; end: number; watchers?: TPresence[] } | { ok: false; error: string };
type TOutput = { sessionId: string; offset: number; data: ArrayBuffer | Uint8Array };

/** What the terminal has shown is acked at most this often. */
const ACK_DEBOUNCE_MS = 100;

/** The rendered buffer as text lines (scrollback included), for tests and "copy all". */
export type TTerminalElement = HTMLDivElement & {
  batonLines?: () => string[];
  batonCursor?: () => number | null;
  /** Closes the live channel's transport as a network blip would (socket.io then reconnects). */
  batonBlip?: () => void;
  /** Milliseconds from asking to attach until the replayed output was drawn (null until then). */
  batonAttachMs?: () => number | null;
  /** Milliseconds from asking to attach until the console confirmed it (the replay was sent by then). */
  batonAttachAckMs?: () => number | null;
};

// The server relays keystrokes as strings; its schema caps one message at 16 KB.
const INPUT_CHUNK = 8 * 1024;

// A live xterm.js terminal on the tab's shared socket: the session's output by offset in,
// keystrokes and resizes out. Mounted only while the viewer holds the session; unmounting
// detaches. On mount it replays the session's retained output (the screen as it is, with its
// scrollback); after a lost connection it asks only for what came after its cursor. What it has
// drawn it acks: that is what "seen" means for Receive and the output buffer.
//
// `mode="watch"`: the same screen and live output, read-only (help desk, managers, admins). It
// never acks, resizes or sends keystrokes (and the server refuses them from a watcher anyway).
// Both modes show who is watching; the holder may end a watch.
// A watching manager or admin may ask to join; once the holder accepts, what they type goes to
// the shell as theirs (the holder still owns the size and the acks).
export function TerminalView({
  sessionId,
  label,
  mode = "hold",
  canAskToJoin = false,
  viewerId,
}: {
  sessionId: string;
  label: string;
  mode?: "hold" | "watch";
  canAskToJoin?: boolean;
  viewerId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<TStatus>({ kind: "attaching" });
  const [watchers, setWatchers] = useState<TPresence[]>([]);
  const [refused, setRefused] = useState<string | null>(null);
  const endWatch = useRef<(userId: string) => void>(() => {});
  const answerJoin = useRef<(userId: string, accept: boolean) => void>(() => {});
  const askToJoin = useRef<(reason: string) => Promise<TActionFailure | null>>(async () => ({ error: "The terminal is not attached." }));
  const [asking, setAsking] = useState(false);
  const [joined, setJoined] = useState(false);
  const watching = mode === "watch";

  useEffect(() => {
    let disposed = false;
    let teardown = () => {};
    void (async () => {
      // xterm touches the DOM at import time: load it in the browser only.
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (disposed || !host.current) return;
      const term = new Terminal({
        cursorBlink: !watching,
        disableStdin: watching,
        fontSize: 13,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
        scrollback: TERMINAL_SCROLLBACK_LINES,
        theme: { background: "#020617", foreground: "#e2e8f0", cursor: "#38bdf8", selectionBackground: "#334155" },
      });

      // The terminal takes the focus when it attaches (or a join is accepted), unless the user
      // is typing in another field meanwhile (the Run box, a dialog): their keystrokes must
      // never land in the shell because the terminal finished attaching under them.
      const focusTerminal = () => {
        const active = document.activeElement;
        const elsewhere = active instanceof HTMLElement && active !== document.body && !host.current?.contains(active) && active.matches("input, textarea, select, [contenteditable=true]");
        if (!elsewhere) term.focus();
      };      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host.current);
      const refit = () => {
        try {
          fit.fit();
        } catch {
          // Not laid out yet (hidden or zero-sized): the next resize fits it.
        }
      };
      refit();

      const socket = acquireSocket();
      let attached = false;
      /** Offset of the next byte this terminal needs; null until the first replay. */
      let cursor: number | null = null;
      let ackTo = 0;
      let ackSent = 0;
      let ackTimer: ReturnType<typeof setTimeout> | undefined;
      const sendAck = () => {
        ackTimer = undefined;
        if (watching || ackTo <= ackSent || !attached) return;
        ackSent = ackTo;
        socket.emit("terminal.ack", { sessionId, offset: ackTo });
      };
      const el = host.current as TTerminalElement;
      el.batonCursor = () => cursor;
      el.batonBlip = () => socket.io.engine?.close();
      // Attach timing (bench:attach): from the attach request until xterm has drawn the replay.
      let attachAskedAt = 0;
      let replayEnd = -1;
      let attachMs: number | null = null;
      el.batonAttachMs = () => attachMs;
      let attachAckMs: number | null = null;
      el.batonAttachAckMs = () => attachAckMs;
      const noteDrawn = (end: number) => {
        if (attachMs === null && replayEnd >= 0 && end >= replayEnd) attachMs = performance.now() - attachAskedAt;
      };
      el.batonLines = () => {
        const b = term.buffer.active;
        const out: string[] = [];
        for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? "");
        return out;
      };
      let resizeTimer: ReturnType<typeof setTimeout> | undefined;
      const sendResize = () => {
        clearTimeout(resizeTimer);
        if (watching) return;
        resizeTimer = setTimeout(() => attached && socket.emit("terminal.resize", { sessionId, cols: term.cols, rows: term.rows }), 120);
      };
      /** The holder accepted this watcher's join: keystrokes go out from now on. */
      let mayType = !watching;
      const answered = (r: { ok: boolean; error?: string } | undefined) => (r?.ok ? setRefused(null) : setRefused(r?.error ?? "The request failed."));
      answerJoin.current = (userId, accept) => socket.emit("terminal.join-answer", { sessionId, userId, accept }, answered);
      askToJoin.current = async (reason) => {
        try {
          const r: { ok: boolean; error?: string } = await socket.timeout(15_000).emitWithAck("terminal.join-request", { sessionId, ...(reason ? { reason } : {}) });
          return r.ok ? null : { error: r.error ?? "The request failed." };
        } catch {
          return { error: "The console did not answer: the request may not have reached the holder. Try again." };
        }
      };
      endWatch.current = (userId) => socket.emit("terminal.end-watch", { sessionId, userId }, (r: { ok: boolean; error?: string } | undefined) => r?.ok || setRefused(r?.error ?? "Could not end the watch."));
      const attach = () => {
        setStatus({ kind: "attaching" });
        if (watching) {
          // A watch always starts from the retained window: the screen as it is now.
          term.reset();
          cursor = null;
          mayType = false;
          term.options.disableStdin = true;
          setJoined(false);
        }
        attachAskedAt = performance.now();
        const [event, payload] = watching ? ["terminal.watch", { sessionId }] : ["terminal.attach", { sessionId, from: cursor }];
        socket.emit(event, payload, (ack: TAttachAck | undefined) => {
          if (disposed) return;
          if (ack?.ok) {
            replayEnd = ack.end;
            attachAckMs ??= performance.now() - attachAskedAt;
            noteDrawn(ackTo);
            attached = true;
            setStatus({ kind: "attached" });
            setWatchers(ack.watchers ?? []);
            if (watching) return;
            // Acks that came due while attaching go out now.
            ackTimer ??= setTimeout(sendAck, ACK_DEBOUNCE_MS);
            sendResize();
            focusTerminal();
          } else {
            setStatus({ kind: "failed", error: ack?.error ?? "The terminal could not attach." });
          }
        });
      };
      const onOutput = (m: TOutput) => {
        if (m.sessionId !== sessionId) return;
        const part = unwrittenPart(cursor, m.offset, m.data instanceof Uint8Array ? m.data : new Uint8Array(m.data));
        if (!part) return;
        const { end } = part;
        cursor = end;
        term.write(part.data, () => {
          if (watching) return;
          ackTo = Math.max(ackTo, end);
          noteDrawn(ackTo);
          ackTimer ??= setTimeout(sendAck, ACK_DEBOUNCE_MS);
        });
      };
      const onNotice = (m: TTerminalNotice) => {
        if (m.sessionId !== sessionId) return;
        term.write(noticeLine(m.text));
      };
      const onClosed = (m: { sessionId: string; reason: string }) => {
        if (m.sessionId !== sessionId) return;
        attached = false;
        setStatus({ kind: "closed", reason: m.reason });
      };
      const onPresence = (m: TTerminalPresence) => m.sessionId === sessionId && setWatchers(m.watchers);
      const onJoined = (m: { sessionId: string }) => {
        if (m.sessionId !== sessionId) return;
        mayType = true;
        term.options.disableStdin = false;
        setJoined(true);
        focusTerminal();
      };
      const onRefused = (m: TTerminalRefused) => m.sessionId === sessionId && setRefused(m.text);
      // The holder chose "no watching without asking": this watch waits for their answer.
      const onWaiting = (m: TTerminalWaiting) => m.sessionId === sessionId && !attached && setStatus({ kind: "waiting", text: m.text });
      const onDown = () => {
        attached = false;
        setStatus({ kind: "offline" });
      };
      socket.on("terminal.output", onOutput);
      socket.on("terminal.notice", onNotice);
      socket.on("terminal.closed", onClosed);
      socket.on("terminal.presence", onPresence);
      socket.on("terminal.refused", onRefused);
      socket.on("terminal.joined", onJoined);
      socket.on("terminal.waiting", onWaiting);
      socket.on("connect", attach);
      socket.on("disconnect", onDown);
      if (socket.connected) attach();

      // Keystrokes typed in quick succession go out as one message: fewer round trips to the agent.
      let typed = "";
      let flushTimer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        flushTimer = undefined;
        const data = typed;
        typed = "";
        if (!attached) return;
        for (let i = 0; i < data.length; i += INPUT_CHUNK) socket.emit("terminal.input", { sessionId, data: data.slice(i, i + INPUT_CHUNK) });
      };
      const input = term.onData((data) => {
        if (!attached || !mayType) return;
        typed += data;
        flushTimer ??= setTimeout(flush, 10);
      });
      const resized = term.onResize(sendResize);
      let frame = 0;
      const observer = new ResizeObserver(() => {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(refit);
      });
      observer.observe(host.current);

      teardown = () => {
        clearTimeout(ackTimer);
        sendAck();
        if (attached) socket.emit("terminal.detach", { sessionId });
        socket.off("terminal.presence", onPresence);
        socket.off("terminal.joined", onJoined);
        socket.off("terminal.waiting", onWaiting);
        socket.off("terminal.refused", onRefused);
        socket.off("terminal.output", onOutput);
        socket.off("terminal.notice", onNotice);
        socket.off("terminal.closed", onClosed);
        socket.off("connect", attach);
        socket.off("disconnect", onDown);
        releaseSocket();
        clearTimeout(resizeTimer);
        clearTimeout(flushTimer);
        cancelAnimationFrame(frame);
        observer.disconnect();
        input.dispose();
        resized.dispose();
        term.dispose();
      };
    })();
    return () => {
      disposed = true;
      teardown();
    };
  }, [sessionId, watching]);

  return (
    <div className="overflow-hidden rounded-md border border-slate-800 bg-slate-950">
      <div className="flex items-center gap-2 border-b border-slate-800 px-3 py-1.5 text-xs text-slate-300">
      <div className="flex items-center gap-2" role="status" aria-live="polite">
        <span
          aria-hidden
          className={cn("size-2 rounded-full", status.kind === "attached" ? "bg-emerald-400" : status.kind === "attaching" || status.kind === "waiting" ? "bg-amber-400" : "bg-red-400")}
        />
        {status.kind === "attached"
          ? watching
            ? joined
              ? `Joined: what you type goes to ${label}, alongside its holder`
              : `Watching ${label} read-only: what you type goes nowhere`
            : `Attached: what you type goes to ${label}`
          : status.kind === "attaching"
            ? "Attaching…"
            : status.kind === "waiting"
              ? status.text
            : status.kind === "offline"
              ? "Live channel lost: reattaching when it returns…"
              : status.kind === "failed"
                ? `Not attached: ${status.error}`
                : `Terminal closed: ${status.reason}`}
      </div>
        {watching && canAskToJoin && !joined && status.kind === "attached" ? (
          <button
            type="button"
            className="ml-auto rounded border border-slate-600 px-1.5 py-0.5 text-slate-200 hover:bg-slate-800 disabled:opacity-50"
            disabled={watchers.some((w) => w.state === "asking" && w.userId === viewerId)}
            onClick={() => setAsking(true)}
          >
            Ask to join
          </button>
        ) : null}
        {asking ? (
          <ReasonDialog
            onOpenChange={setAsking}
            title={`Ask to join ${label}`}
            description="Its holder sees your request, with your reason, and accepts or refuses it. Once accepted, what you type goes to the shell as yours, alongside the holder, and every line is recorded with its typist."
            schema={ZJoinReason}
            optional
            oneLine
            placeholder="e.g. INC-4711: I'll show you the fix"
            submitLabel="Send request"
            pendingLabel="Sending…"
            onSubmit={(reason) => askToJoin.current(reason)}
          />
        ) : null}
      </div>
      <Presence
        watchers={watchers}
        canEnd={!watching && status.kind === "attached"}
        onEnd={(userId) => endWatch.current(userId)}
        onAnswer={(userId, accept) => answerJoin.current(userId, accept)}
      />
      {refused ? (
        <p role="alert" className="border-b border-slate-800 bg-amber-950 px-3 py-1 text-xs text-amber-200">
          {refused}
        </p>
      ) : null}
      <div
        ref={host}
        className="h-[26rem] w-full px-1 py-1"
        aria-label={`${watching ? "Watched terminal" : "Terminal"} of ${label}`}
        role="group"
        data-testid="terminal"
        data-mode={mode}
        data-status={status.kind}
      />
    </div>
  );
}
