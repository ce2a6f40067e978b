import crypto from "node:crypto";
import type * as pty from "node-pty";
import {
  OUTPUT_FRAME_HEADER_BYTES,
  uuidToBytes,
  writeOutputHeader,
  type TCommandInfo,
  type TControlInput,
  type TEffectiveBufferingMode,
  type TFinishedCommand,
  type TSessionChange,
  type TSessionConfiguration,
  type TSessionSnapshot,
  type TSessionState,
  type TUserRef,
} from "../protocol";
import { killPids, processTreePids, type LimitsController, type SessionCgroups } from "./limits";
import type { Logger } from "./logger";
import fs from "node:fs";
import { InputAttribution } from "./input-attribution";
import { decodeStartMarker, MarkerParser } from "./marker-parser";
import { OutputHistory, type TOutputRead } from "./output-history";
import { ansiCQuote } from "./shell";
import { spawnShell, type TSpareShell } from "./spare-shells";
import { framePool } from "./frame-pool";

export type SessionHooks = {
  log: Logger;
  limits: LimitsController;
  rcPath: string;
  computerName: string;
  readyTimeoutMs: number;
  emit(session: Session, change: TSessionChange, extra?: { command?: TFinishedCommand; reason?: string; control?: TControlInput }): void;
  /**
   * Sends an output frame (header and data, see protocol/frames.ts) to a stream; returns false
   * when the stream is gone. `done` runs once the bytes left the agent, once per frame and in order.
   */
  deliver(streamId: string, frame: Buffer, done: () => void): boolean;
  /**
   * True when the stream acknowledges what its viewers were shown (`ack`); on other streams,
   * output counts as seen once it is handed to the stream.
   */
  acks(streamId: string): boolean;
  /**
   * Sends output to a watching stream if it keeps up; returns false (the frame is dropped for that
   * stream, which resynchronises by offset) when the stream is gone or too far behind.
   */
  deliverToWatcher(streamId: string, frame: Buffer): boolean;
  /** Called once the session is Closed or Broken and its shell is gone. */
  ended(session: Session): void;
};

/** Output in flight to a stream above which the shell is paused until the client catches up. */
const STREAM_HIGH_WATER = 512 * 1024;
const STREAM_LOW_WATER = 128 * 1024;
const LIVE_FLUSH_BYTES = 64 * 1024;
/** Longest a byte of live output waits for company; well below what a typist notices. */
const LIVE_FLUSH_MS = 3;
const BUFFER_REPORT_MS = 2000;
/** A Block-mode hold while attached is reported only if it lasts this long. */
const BLOCKED_REPORT_MS = 1000;

type PauseReason = "buffer" | "stream";

export class Session {
  readonly instanceId: string;
  readonly instanceIdBytes: Buffer;
  readonly createdOn = new Date();
  state: TSessionState = "Opened";
  reason: string | null = null;
  holder: TUserRef | null;
  streamId: string | null;
  idleTimeoutSec: number;
  outputBufferingMode: TEffectiveBufferingMode;
  disconnectedOn: Date | null = null;
  expiresOn: Date | null = null;
  running: TCommandInfo | null = null;
  lastCommand: TFinishedCommand | null = null;
  cwd: string | null = null;
  cols: number;
  rows: number;
  /** The output stream by offset: retained window, the holder's cursor, the output buffer. */
  readonly history: OutputHistory;
  /**
   * Streams that watch the session's output read-only, whoever holds it (or nobody). They get
   * every live frame, never move the holder's cursor and never hold the shell back.
   */
  readonly watchStreams = new Set<string>();
  /** Users the holder let type alongside them (join), by id; cleared whenever the holder changes. */
  readonly joined = new Map<string, TUserRef>();

  private proc: pty.IPty | null = null;
  private cgroups: SessionCgroups = { dirs: [], pids: false };
  private readonly nonce: string;
  private readonly parser: MarkerParser;
  /** A shell started ahead of this session (spare-shells.ts), adopted by `start`. */
  private spare: TSpareShell | null;
  /** Who sent the newest Enter, and control keys by name; never what was typed. */
  private readonly typing = new InputAttribution((control) => this.hooks.emit(this, "input.control", { control }));
  /** True from writing a `run` line until its start marker: hides the echoed wrapper line. */
  private suppressEcho = false;
  private ready = false;
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private pauses = new Set<PauseReason>();
  private inflight = 0;
  /**
   * Frames in flight to `sentStream`, oldest first, by size. One `onSent` callback per stream
   * (not a closure per frame) retires them in order; a new stream or a detach starts afresh.
   */
  private sentStream: string | null = null;
  private sentSizes: number[] = [];
  /** The pooled buffer behind each frame in `sentSizes` (null: not pooled), given back once sent. */
  private sentFrames: (Buffer | null)[] = [];
  private onSent: () => void = () => {};
  private pendingLive: Buffer[] = [];
  private pendingBytes = 0;
  private pendingOffset = 0;
  private liveTimer: NodeJS.Timeout | null = null;
  /** The pending live bytes were counted as seen when queued (a stream without acks). */
  private pendingAcked = false;
  private blockedTimer: NodeJS.Timeout | null = null;
  private blockedReported = false;
  private bufferReportTimer: NodeJS.Timeout | null = null;
  private lastBufferReport = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private commandSeq = 0;
  /** Counts this session's snapshots: a snapshot with a higher version describes a later state. */
  private snapshotVersion = 0;
  private ending = false;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly configurationName: string,
    readonly owner: TUserRef,
    opts: {
      streamId: string | null;
      idleTimeoutSec: number;
      outputBufferingMode: TEffectiveBufferingMode;
      bufferSizeBytes: number;
      retainBytes: number;
      cols: number;
      rows: number;
      spare?: TSpareShell | null;
    },
    private readonly hooks: SessionHooks,
  ) {
    this.spare = opts.spare ?? null;
    this.instanceId = this.spare?.instanceId ?? crypto.randomUUID();
    this.instanceIdBytes = uuidToBytes(this.instanceId);
    this.nonce = this.spare?.nonce ?? crypto.randomBytes(12).toString("hex");
    this.parser = new MarkerParser(this.nonce);
    this.holder = owner;
    this.streamId = opts.streamId;
    this.idleTimeoutSec = opts.idleTimeoutSec;
    this.outputBufferingMode = opts.outputBufferingMode;
    this.history = new OutputHistory(opts.retainBytes, opts.bufferSizeBytes);
    this.cols = opts.cols;
    this.rows = opts.rows;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  get live(): boolean {
    return this.state !== "Closed" && this.state !== "Broken";
  }

  /** Total output bytes produced so far (the offset of the next byte). */
  get outputOffset(): number {
    return this.history.end;
  }

  get outputBlocked(): boolean {
    return this.pauses.has("buffer");
  }

  /**
   * Starts the shell, or adopts the spare one it was given, and resolves once bash has run its
   * init file and printed the first marker.
   */
  start(config: TSessionConfiguration): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    let proc: pty.IPty;
    if (spare) {
      ({ proc, cgroups: this.cgroups } = spare);
      if (spare.proc.cols !== this.cols || spare.proc.rows !== this.rows) proc.resize(this.cols, this.rows);
    } else {
      ({ proc, cgroups: this.cgroups } = spawnShell({
        limits: this.hooks.limits,
        rcPath: this.hooks.rcPath,
        computerName: this.hooks.computerName,
        cgroupKey: String(this.id),
        config,
        nonce: this.nonce,
        instanceId: this.instanceId,
        cols: this.cols,
        rows: this.rows,
      }));
    }
    this.proc = proc;
    proc.onData((chunk) => this.onPtyData(chunk as unknown as Buffer));
    proc.onExit(({ exitCode, signal }) => this.onPtyExit(exitCode, signal));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiter = null;
        reject(new Error(`shell did not start within ${this.hooks.readyTimeoutMs} ms`));
      }, this.hooks.readyTimeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    // What the spare printed while it waited (its first marker and prompt), as if read just now.
    if (spare) for (const chunk of spare.early) this.onPtyData(chunk);
    return ready;
  }

  snapshot(): TSessionSnapshot {
    return {
      id: this.id,
      instanceId: this.instanceId,
      name: this.name,
      configurationName: this.configurationName,
      computerName: this.hooks.computerName,
      owner: this.owner,
      holder: this.holder,
      state: this.state,
      reason: this.reason,
      idleTimeoutSec: this.idleTimeoutSec,
      outputBufferingMode: this.outputBufferingMode,
      createdOn: this.createdOn.toISOString(),
      disconnectedOn: this.disconnectedOn?.toISOString() ?? null,
      expiresOn: this.expiresOn?.toISOString() ?? null,
      bufferedBytes: this.history.unseen,
      bufferSizeBytes: this.history.limit,
      outputBlocked: this.outputBlocked,
      droppedBytes: this.history.droppedSinceReceive,
      totalDroppedBytes: this.history.totalDropped,
      outputOffset: this.history.end,
      seenOffset: this.history.seen,
      retainedFromOffset: this.history.start,
      retainBytes: this.history.capacity,
      command: this.running,
      lastCommand: this.lastCommand,
      cwd: this.cwd,
      pid: this.pid,
      cols: this.cols,
      rows: this.rows,
      version: ++this.snapshotVersion,
    };
  }

  // --- transitions (the manager validates before calling these) ---

  attach(holder: TUserRef, streamId: string | null): void {
    this.flushLive();
    if (this.holder?.id !== holder.id) this.joined.clear();
    this.clearIdleTimer();
    this.state = "Opened";
    this.holder = holder;
    this.streamId = streamId;
    this.disconnectedOn = null;
    this.expiresOn = null;
  }

  detach(opts: { idleTimeoutSec: number; mode: TEffectiveBufferingMode }): void {
    this.flushLive();
    // A hold that was waiting for an attached viewer is now a buffer full while disconnected.
    if (this.blockedTimer) this.reportBlocked();
    this.state = "Disconnected";
    this.holder = null;
    this.joined.clear();
    this.streamId = null;
    this.idleTimeoutSec = opts.idleTimeoutSec;
    this.outputBufferingMode = opts.mode;
    this.disconnectedOn = new Date();
    this.expiresOn = new Date(this.disconnectedOn.getTime() + opts.idleTimeoutSec * 1000);
    this.inflight = 0;
    this.sentStream = null;
    this.unpause("stream");
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => this.onIdleExpired(), opts.idleTimeoutSec * 1000);
    this.idleTimer.unref();
  }

  /**
   * Connect: on a stream that does not acknowledge, the output buffered while disconnected goes
   * out on it first, in order. A stream that acknowledges leaves it unseen: its viewers replay it
   * by offset (`readOutput`) and ack what they showed.
   */
  flushToStream(): void {
    this.flushLive();
    if (!this.streamId || this.hooks.acks(this.streamId) || this.history.unseen === 0) return;
    const { offset, data } = this.history.read(this.history.seen);
    this.deliverLive(offset, data);
    this.maybeResume();
  }

  /** Sends the output still being coalesced now: an event about the session must follow the output before it. */
  flushOutput(): void {
    this.flushLive();
  }

  /** Receive: hand over every unseen byte, and let a blocked command continue. */
  drainForReceive(): { offset: number; data: Buffer; dropped: number } {
    this.flushLive();
    const taken = this.history.takeUnseen();
    this.maybeResume();
    return taken;
  }

  /** The holder was shown everything before `offset`. */
  ack(offset: number): void {
    if (!this.history.ack(offset)) return;
    this.maybeResume();
    // Consoles show what is still unseen: the holder's terminal caught up (at most every 2 s).
    this.reportBuffered({ whenOpened: true });
  }

  /** Any viewer: retained output from `from`, at most `max` bytes (coalesced live output included). */
  readOutput(from: number, max: number): TOutputRead {
    return this.history.read(from, max);
  }

  /**
   * Makes a full-screen program (vim, top, less) draw its whole screen again, for a terminal
   * that just attached: SIGWINCH to the terminal's foreground process group when that is not
   * the shell itself. Returns whether a program was asked.
   */
  redraw(): boolean {
    const pid = this.pid;
    if (!pid || !this.live) return false;
    let tpgid: number;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name "(…)": state ppid pgrp session tty_nr tpgid …
      tpgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[5]);
    } catch {
      return false;
    }
    if (!(tpgid > 0) || tpgid === pid) return false;
    try {
      process.kill(-tpgid, "SIGWINCH");
      return true;
    } catch {
      return false;
    }
  }

  startCommand(command: string): TCommandInfo {
    const info: TCommandInfo = { id: `c${++this.commandSeq}`, command, startedOn: new Date().toISOString(), source: "run" };
    this.running = info;
    this.suppressEcho = true;
    // Ctrl-U clears anything typed but not entered; HISTIGNORE (shell.ts) keeps the wrapper out of history.
    this.proc?.write(`\x15 __baton_run ${info.id} ${ansiCQuote(command)}\r`);
    return info;
  }

  /** Keystrokes from `by`: noted for attribution (see InputAttribution), then passed to the shell. */
  write(data: string, by: TUserRef): void {
    this.typing.note(data, by, this.running);
    this.proc?.write(data);
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.proc?.resize(cols, rows);
  }

  /** Ends the shell and every process it started. The state changes at once; the shell exits shortly after. */
  terminate(state: "Closed" | "Broken", reason: string, opts: { alreadyKilled?: boolean } = {}): void {
    if (!this.live) return;
    // Output already read goes where it was headed (the stream, or the buffer a Broken session keeps).
    this.flushLive();
    this.ending = true;
    this.clearIdleTimer();
    this.state = state;
    this.reason = reason;
    this.holder = null;
    this.streamId = null;
    this.watchStreams.clear();
    this.joined.clear();
    this.running = null;
    // A Broken session keeps its last output for a Receive; a Closed one has nothing left to give.
    if (state === "Closed") this.history.clear();
    if (!opts.alreadyKilled) this.killProcesses();
    this.hooks.emit(this, state === "Closed" ? "closed" : "broken", { reason });
  }

  /**
   * Every process of the shell. With a pids cgroup that is exact and cheap; without one, a scan
   * of /proc for the shell's session and descendants.
   */
  processPids(opts: { scanProc: boolean } = { scanProc: true }): number[] {
    const pids = new Set(this.hooks.limits.cgroupPids(this.cgroups));
    const shell = this.proc?.pid;
    if (shell) pids.add(shell);
    if (shell && !this.cgroups.pids && opts.scanProc) for (const p of processTreePids([shell])) pids.add(p);
    return [...pids];
  }

  get hasPidsCgroup(): boolean {
    return this.cgroups.pids;
  }

  private killProcesses(): void {
    killPids(this.processPids());
    // Anything forked while we looked is still in the cgroup; sweep again shortly.
    if (this.cgroups.dirs.length) {
      const again = setTimeout(() => killPids(this.hooks.limits.cgroupPids(this.cgroups)), 100);
      again.unref();
    }
  }

  // --- internals ---

  private onPtyData(chunk: Buffer): void {
    if (this.parser.isPlain(chunk)) {
      if (!this.suppressEcho && this.ready) this.route(chunk);
      return;
    }
    for (const piece of this.parser.push(chunk)) {
      if (piece.kind === "marker") this.onMarker(piece.fields);
      else if (!this.suppressEcho && this.ready) this.route(piece.data);
    }
  }

  private onMarker(fields: string[]): void {
    const [kind, ...rest] = fields;
    if (kind === "E") {
      this.cwd = rest.slice(1).join(";") || this.cwd;
      if (!this.ready) {
        this.ready = true;
        this.readyWaiter?.resolve();
        this.readyWaiter = null;
        return;
      }
      this.suppressEcho = false;
      if (!this.running) return;
      const finished: TFinishedCommand = { ...this.running, exitCode: Number(rest[0]) || 0, finishedOn: new Date().toISOString() };
      this.running = null;
      this.lastCommand = finished;
      this.hooks.emit(this, "command.finished", { command: finished });
    } else if (kind === "B") {
      if (!this.ready || this.running) return;
      // A line bash read at its prompt: typed by whoever sent the Enter that ended it.
      const line = decodeStartMarker(rest);
      this.running = {
        id: `i${++this.commandSeq}`,
        command: line.command,
        startedOn: new Date().toISOString(),
        source: "terminal",
        typedBy: this.typing.lastEnterBy,
        ...(line.truncated ? { commandTruncated: true } : {}),
      };
      this.hooks.emit(this, "command.started");
    } else if (kind === "S") {
      this.suppressEcho = false;
    }
  }

  /**
   * Every byte of output is retained by offset first; an attached session also sends it live.
   * The bytes the holder has not been shown are the output buffer: Block stops the shell when
   * they reach the buffer size, Drop discards the oldest of them.
   */
  private route(data: Buffer): void {
    if (this.state === "Closed") return;
    const offset = this.history.end;
    const droppedBefore = this.history.droppedSinceReceive;
    this.history.push(data, this.outputBufferingMode);
    if ((this.state === "Opened" && this.streamId) || this.watchStreams.size > 0) this.deliverLive(offset, data);
    if (this.state !== "Opened") this.reportBuffered();
    if (this.outputBufferingMode === "Block" && this.history.isFull() && !this.pauses.has("buffer")) {
      this.pause("buffer");
      // Attached through a live stream, a full buffer is usually a terminal catching up (its
      // acks resume the shell within milliseconds): only a hold that lasts is reported.
      if (this.state === "Opened" && this.streamId) {
        this.blockedTimer = setTimeout(() => this.reportBlocked(), BLOCKED_REPORT_MS);
        this.blockedTimer.unref();
      } else this.reportBlocked();
    } else if (this.outputBufferingMode === "Drop" && droppedBefore === 0 && this.history.droppedSinceReceive > 0) {
      this.hooks.emit(this, "buffer.full", { reason: "output buffer full; dropping the oldest output" });
    }
  }

  /** Lets consoles show the buffer filling while nobody is attached, at most every 2 s. */
  private reportBuffered(opts: { whenOpened?: boolean } = {}): void {
    if (this.bufferReportTimer) return;
    const wait = Math.max(0, this.lastBufferReport + BUFFER_REPORT_MS - Date.now());
    this.bufferReportTimer = setTimeout(() => {
      this.bufferReportTimer = null;
      this.lastBufferReport = Date.now();
      if (this.live && (opts.whenOpened || this.state !== "Opened")) this.hooks.emit(this, "buffered");
    }, wait);
    this.bufferReportTimer.unref();
  }

  /**
   * Live output is coalesced for a few milliseconds: a PTY read is at most 4 KB, and one
   * WebSocket frame per read costs more CPU (agent and console) than the bytes themselves.
   */
  private deliverLive(offset: number, data: Buffer): void {
    // On a stream without acks, handing bytes over is showing them (undone if the stream is gone).
    const acked = this.state === "Opened" && !!this.streamId && !this.hooks.acks(this.streamId);
    if (acked) this.history.ack(offset + data.length);
    if (this.pendingLive.length === 0) {
      this.pendingAcked = acked;
      this.pendingOffset = offset;
      // One timer per session, re-armed per frame: no timer or closure allocated per frame.
      if (this.liveTimer) this.liveTimer.refresh();
      else this.liveTimer = setTimeout(() => this.flushLive(), LIVE_FLUSH_MS);
    }
    this.pendingLive.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= LIVE_FLUSH_BYTES) this.flushLive();
  }

  /**
   * Sends coalesced live output; if the stream is gone the bytes stay unseen, so nothing is lost.
   * The frame is built in one buffer: each byte is copied once, from its PTY read to the frame.
   */
  private flushLive(): void {
    if (this.pendingLive.length === 0) return;
    const size = this.pendingBytes;
    const offset = this.pendingOffset;
    // Pooled only when the holder's stream alone sends it: its send callback says when it is free.
    const pooled = this.watchStreams.size === 0 && this.state === "Opened" && this.streamId ? framePool.take(size) : null;
    const frame = pooled ? pooled.subarray(0, OUTPUT_FRAME_HEADER_BYTES + size) : Buffer.allocUnsafe(OUTPUT_FRAME_HEADER_BYTES + size);
    writeOutputHeader(frame, this.instanceIdBytes, offset);
    let at = OUTPUT_FRAME_HEADER_BYTES;
    for (const piece of this.pendingLive) at += piece.copy(frame, at);
    this.pendingLive.length = 0;
    this.pendingBytes = 0;
    const streamId = this.state === "Opened" ? this.streamId : null;
    this.deliverToWatchers(frame, streamId);
    if (streamId) {
      if (this.sentStream !== streamId) this.trackSent(streamId);
      this.inflight += size;
      this.sentSizes.push(size);
      this.sentFrames.push(pooled);
      if (this.hooks.deliver(streamId, frame, this.onSent)) {
        if (this.inflight > STREAM_HIGH_WATER) this.pause("stream");
        return;
      }
      this.sentSizes.pop();
      this.sentFrames.pop();
      this.inflight -= size;
    }
    if (pooled) framePool.give(pooled);
    if (this.pendingAcked) this.history.unsee(offset);
  }

  /** Starts counting frames in flight to `streamId`; callbacks of an earlier stream no longer count. */
  private trackSent(streamId: string): void {
    const sizes: number[] = [];
    const frames: (Buffer | null)[] = [];
    this.sentStream = streamId;
    this.sentSizes = sizes;
    this.sentFrames = frames;
    this.onSent = () => {
      const size = sizes.shift() ?? 0;
      const pooled = frames.shift();
      if (pooled) framePool.give(pooled);
      if (this.sentSizes !== sizes || this.streamId !== streamId) return;
      this.inflight -= size;
      if (this.inflight < STREAM_LOW_WATER) this.unpause("stream");
    };
  }

  /** Watchers get the frame too, unless it already goes to their stream as the holder's. */
  private deliverToWatchers(frame: Buffer, holderStream: string | null): void {
    if (this.watchStreams.size === 0) return;
    for (const w of this.watchStreams) if (w !== holderStream) this.hooks.deliverToWatcher(w, frame);
  }

  private reportBlocked(): void {
    this.blockedTimer = null;
    if (!this.pauses.has("buffer") || this.blockedReported || !this.live) return;
    this.blockedReported = true;
    this.hooks.emit(this, "buffer.full", { reason: "output buffer full; the command is blocked until its output is received" });
  }

  private maybeResume(): void {
    if (!this.pauses.has("buffer") || this.history.isFull()) return;
    this.unpause("buffer");
    if (this.blockedTimer) clearTimeout(this.blockedTimer);
    this.blockedTimer = null;
    if (this.blockedReported) this.hooks.emit(this, "buffer.resumed");
    this.blockedReported = false;
  }

  private pause(reason: PauseReason): void {
    if (this.pauses.size === 0) this.proc?.pause();
    this.pauses.add(reason);
  }

  private unpause(reason: PauseReason): void {
    if (!this.pauses.delete(reason)) return;
    if (this.pauses.size === 0 && this.live) this.proc?.resume();
  }

  private onIdleExpired(): void {
    this.idleTimer = null;
    if (this.state !== "Disconnected") return;
    this.hooks.log.info({ sessionId: this.id, idleTimeoutSec: this.idleTimeoutSec }, "idle timeout expired; closing session");
    this.terminate("Closed", `IdleTimeout: disconnected for ${this.idleTimeoutSec} s without a connection; the agent ended the session and its processes`);
  }

  private onPtyExit(exitCode: number, signal: number | undefined): void {
    const wasEnding = this.ending;
    if (!this.ready) this.readyWaiter?.reject(new Error(`shell exited during start (code ${exitCode})`));
    this.readyWaiter = null;
    if (!wasEnding) {
      this.terminate("Broken", `the shell exited on its own (exit code ${exitCode}${signal ? `, signal ${signal}` : ""})`);
    }
    this.pauses.clear();
    this.hooks.limits.removeForSession(this.cgroups);
    this.hooks.ended(this);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
