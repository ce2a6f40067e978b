import {
  DEFAULT_CONFIGURATION,
  idleTimeoutOutOfRangeMessage,
  toView,
  ZConfigurationLimits,
  OUTPUT_READ_MAX_BYTES,
  type TAckRequest,
  type TAckResponse,
  type TWatchResponse,
  type TJoinRequest,
  type TJoinResponse,
  type TLeaveRequest,
  MAX_WATCH_STREAMS_PER_SESSION,
  type TActingUser,
  type TOutputQuery,
  type TOutputResponse,
  type TConfigurationUpdate,
  type TConfigurationView,
  type TConnectRequest,
  type TControlInput,
  type TDisconnectRequest,
  type TEffectiveBufferingMode,
  type TFinishedCommand,
  type TListSessionsQuery,
  type TNewSessionRequest,
  type TOutputBufferingMode,
  type TReceiveResponse,
  type TResizeRequest,
  type TRunRequest,
  type TRunResponse,
  type TSessionChange,
  type TSessionConfiguration,
  type TSessionView,
  type TStreamServerMessage,
} from "../protocol";
import { AgentError } from "./errors";
import { killPids, processTreePids, type LimitsController } from "./limits";
import type { Logger } from "./logger";
import { Session } from "./session";
import { SpareShells } from "./spare-shells";

export type StreamPort = {
  has(streamId: string): boolean;
  broadcast(msg: TStreamServerMessage): void;
  deliver(streamId: string, frame: Buffer, done: () => void): boolean;
  acks(streamId: string): boolean;
  deliverToWatcher(streamId: string, frame: Buffer): boolean;
};

export type SessionManagerOptions = {
  computerName: string;
  log: Logger;
  limits: LimitsController;
  rcPath: string;
  configurations: TSessionConfiguration[];
  minIdleTimeoutSec: number;
  closedRetentionMs: number;
  readyTimeoutMs: number;
};

const MAX_ENDED_KEPT = 1000;

/**
 * Owns every session of this agent and enforces the session semantics of DESIGN.md:
 * who may do what in which state, quotas of the session configuration, idle timeouts.
 * Every operation validates fully before it changes anything.
 */
export class SessionManager {
  private readonly sessions = new Map<number, Session>();
  private readonly byInstance = new Map<string, Session>();
  private readonly configs = new Map<string, TSessionConfiguration>();
  private readonly ended: number[] = [];
  private nextId = 1;
  private shuttingDown = false;
  private stream: StreamPort | null = null;
  /** A shell per used configuration, started ahead so a new session starts in milliseconds. */
  private readonly spares: SpareShells;

  constructor(private readonly opts: SessionManagerOptions) {
    for (const c of opts.configurations) this.configs.set(c.name.toLowerCase(), c);
    this.spares = new SpareShells({ log: opts.log, limits: opts.limits, rcPath: opts.rcPath, computerName: opts.computerName });
  }

  attachStreams(stream: StreamPort): void {
    this.stream = stream;
  }

  get minIdleTimeoutSec(): number {
    return this.opts.minIdleTimeoutSec;
  }

  // --- configurations ---

  listConfigurations(): TConfigurationView[] {
    return [...this.configs.values()].map((c) => this.configurationView(c));
  }

  getConfiguration(name: string): TConfigurationView {
    return this.configurationView(this.configOrThrow(name));
  }

  /** Set-PSSessionConfiguration: new operations obey the new limits; running sessions keep going. */
  updateConfiguration(actor: TActingUser, name: string, patch: TConfigurationUpdate): TConfigurationView {
    const current = this.configOrThrow(name);
    if (!actor.roles.includes("admin")) {
      throw new AgentError("FORBIDDEN", `User ${actor.name} may not change session configuration ${current.name}: the admin role is required.`);
    }
    const next: TSessionConfiguration = { ...current, ...patch };
    const parsed = ZConfigurationLimits.safeParse(stripName(next));
    if (!parsed.success) throw new AgentError("VALIDATION_FAILED", "The configuration update is not valid.", { issues: parsed.error.issues });
    if (next.idleTimeoutMs > next.maxIdleTimeoutMs) {
      throw new AgentError("VALIDATION_FAILED", `IdleTimeoutMs (${next.idleTimeoutMs}) must not exceed MaxIdleTimeoutMs (${next.maxIdleTimeoutMs}).`);
    }
    this.configs.set(current.name.toLowerCase(), next);
    const view = this.configurationView(next);
    this.opts.log.info({ configuration: next.name, by: actor.id, changed: Object.keys(patch) }, "configuration updated");
    this.stream?.broadcast({ type: "configuration.updated", configuration: view, at: new Date().toISOString() });
    return view;
  }

  // --- sessions ---

  counts(): Record<string, number> {
    const out: Record<string, number> = { Opened: 0, Disconnected: 0, Broken: 0, Closed: 0 };
    for (const s of this.sessions.values()) out[s.state] = (out[s.state] ?? 0) + 1;
    return out;
  }

  /** Output retained for replay by all sessions (counted apart from the agent's own memory). */
  retainedOutput(): { bytes: number; allocatedBytes: number } {
    let bytes = 0;
    let allocatedBytes = 0;
    for (const s of this.sessions.values()) {
      bytes += s.history.size;
      allocatedBytes += s.history.allocatedBytes;
    }
    return { bytes, allocatedBytes };
  }

  allSnapshots() {
    return [...this.sessions.values()].map((s) => s.snapshot());
  }

  list(actor: TActingUser | null, query: TListSessionsQuery): TSessionView[] {
    const nameRe = query.name ? wildcardToRegExp(query.name) : null;
    const out: TSessionView[] = [];
    for (const s of this.sessions.values()) {
      if (query.id !== undefined && s.id !== query.id) continue;
      if (query.instanceId && s.instanceId !== query.instanceId.toLowerCase()) continue;
      if (nameRe && !nameRe.test(s.name)) continue;
      const view = toView(s.snapshot(), actor?.id ?? null);
      // State filters match what the acting user sees (attached elsewhere reads Disconnected).
      if (query.state && view.viewState !== query.state) continue;
      out.push(view);
    }
    return out;
  }

  get(actor: TActingUser | null, ref: string): TSessionView {
    return toView(this.resolve(ref).snapshot(), actor?.id ?? null);
  }

  async create(actor: TActingUser, streamId: string | null, req: TNewSessionRequest): Promise<TSessionView> {
    this.refuseWhenShuttingDown();
    const config = this.configOrThrow(req.configurationName ?? DEFAULT_CONFIGURATION.name);
    this.requirePermitted(actor, config);
    const idleTimeoutSec = req.idleTimeoutSec ?? Math.round(config.idleTimeoutMs / 1000);
    this.checkIdleTimeout({ sessionName: req.name, value: idleTimeoutSec, config, action: "created" });
    this.checkQuotas(actor, config);
    this.requireStream(streamId);

    const id = this.nextId++;
    const session = new Session(
      id,
      req.name,
      config.name,
      { id: actor.id, name: actor.name },
      {
        streamId,
        idleTimeoutSec,
        outputBufferingMode: resolveMode(req.outputBufferingMode, config),
        bufferSizeBytes: config.outputBufferSizeBytes,
        retainBytes: config.outputRetainBytes,
        cols: req.cols ?? 120,
        rows: req.rows ?? 30,
        spare: this.spares.take(config),
      },
      {
        log: this.opts.log,
        limits: this.opts.limits,
        rcPath: this.opts.rcPath,
        computerName: this.opts.computerName,
        readyTimeoutMs: this.opts.readyTimeoutMs,
        emit: (s, change, extra) => this.emit(s, change, extra),
        deliver: (sid, frame, done) => this.stream?.deliver(sid, frame, done) ?? false,
        acks: (sid) => this.stream?.acks(sid) ?? false,
        deliverToWatcher: (sid, frame) => this.stream?.deliverToWatcher(sid, frame) ?? false,
        ended: (s) => this.onEnded(s),
      },
    );
    // Registered before the shell is up so concurrent creations count it against the quotas.
    this.sessions.set(id, session);
    this.byInstance.set(session.instanceId, session);
    try {
      await session.start(config);
    } catch (err) {
      this.refillSpare(config.name);
      this.opts.log.error({ err, sessionId: id }, "shell failed to start");
      session.terminate("Broken", `the shell failed to start: ${(err as Error).message}`);
      this.forget(session);
      throw new AgentError("SHELL_START_FAILED", `The session ${req.name} could not be created: ${(err as Error).message}.`);
    }
    if (!session.live) throw new AgentError("SHELL_START_FAILED", `The session ${req.name} could not be created: ${session.reason}.`);
    this.opts.log.info({ sessionId: id, name: req.name, configuration: config.name, user: actor.id, pid: session.pid }, "session created");
    this.emit(session, "created");
    this.refillSpare(config.name);
    return toView(session.snapshot(), actor.id);
  }

  run(actor: TActingUser, ref: string, req: TRunRequest): TRunResponse {
    const s = this.resolve(ref);
    this.requireHeldBy(actor, s, "run a command in");
    const config = this.configOrThrow(s.configurationName);
    this.requirePermitted(actor, config);
    if (s.running) {
      throw new AgentError("COMMAND_RUNNING", `The session ${s.name} is busy: command ${s.running.id} is still running.`, {
        commandId: s.running.id,
      });
    }
    let detachTo: { idleTimeoutSec: number; mode: TEffectiveBufferingMode } | null = null;
    if (req.inDisconnectedSession) {
      const idleTimeoutSec = req.idleTimeoutSec ?? s.idleTimeoutSec;
      this.checkIdleTimeout({ sessionName: s.name, value: idleTimeoutSec, config, action: "started in a disconnected session" });
      detachTo = { idleTimeoutSec, mode: req.outputBufferingMode ? resolveMode(req.outputBufferingMode, config) : s.outputBufferingMode };
    }
    const command = s.startCommand(req.command);
    this.opts.log.info({ sessionId: s.id, commandId: command.id, user: actor.id, bytes: req.command.length }, "command started");
    this.emit(s, "command.started");
    if (detachTo) {
      s.detach(detachTo);
      this.emit(s, "disconnected", { reason: "InDisconnectedSession" });
    }
    return { commandId: command.id, session: toView(s.snapshot(), actor.id) };
  }

  disconnect(actor: TActingUser, ref: string, req: TDisconnectRequest): TSessionView {
    const s = this.resolve(ref);
    this.requireLive(s, "disconnected");
    if (s.state === "Disconnected") return toView(s.snapshot(), actor.id);
    if (s.holder && s.holder.id !== actor.id) {
      throw new AgentError("ATTACHED_TO_OTHER", `The session ${s.name} cannot be disconnected because it is connected to another user (${s.holder.name}).`);
    }
    const config = this.configOrThrow(s.configurationName);
    const idleTimeoutSec = req.idleTimeoutSec ?? s.idleTimeoutSec;
    this.checkIdleTimeout({ sessionName: s.name, value: idleTimeoutSec, config, action: "disconnected" });
    const mode = req.outputBufferingMode ? resolveMode(req.outputBufferingMode, config) : s.outputBufferingMode;
    s.detach({ idleTimeoutSec, mode });
    this.opts.log.info({ sessionId: s.id, user: actor.id, idleTimeoutSec, mode }, "session disconnected");
    this.emit(s, "disconnected", { reason: `disconnected by ${actor.name}` });
    return toView(s.snapshot(), actor.id);
  }

  connect(actor: TActingUser, streamId: string | null, ref: string, req: TConnectRequest = {}): TSessionView {
    const s = this.resolve(ref);
    if (req.force && s.state === "Opened" && s.holder && s.holder.id !== actor.id) {
      if (!actor.roles.some((r) => r === "manager" || r === "admin")) {
        throw new AgentError("FORBIDDEN", `User ${actor.name} may not take over ${s.name} from ${s.holder.name}: the manager or admin role is required.`);
      }
      const from = s.holder.name;
      // Every check before the detach, so a refused takeover changes nothing.
      this.requireStream(streamId);
      this.requirePermitted(actor, this.configOrThrow(s.configurationName));
      s.detach({ idleTimeoutSec: s.idleTimeoutSec, mode: s.outputBufferingMode });
      this.opts.log.info({ sessionId: s.id, user: actor.id }, "session taken over");
      this.emit(s, "disconnected", { reason: `taken over by ${actor.name} from ${from}` });
    }
    this.attachFor(actor, streamId, s, "connected");
    s.flushToStream();
    return toView(s.snapshot(), actor.id);
  }

  receive(actor: TActingUser, streamId: string | null, ref: string): TReceiveResponse {
    const s = this.resolve(ref);
    if (s.live) this.attachFor(actor, streamId, s, "received");
    const { offset, data, dropped } = s.drainForReceive();
    if (s.live) this.emit(s, "received");
    return {
      session: toView(s.snapshot(), actor.id),
      offset,
      output: data.toString("base64"),
      outputBytes: data.length,
      droppedBytes: dropped,
    };
  }

  remove(actor: TActingUser, ref: string, force: boolean): TSessionView {
    const s = this.resolve(ref);
    if (!s.live) return toView(s.snapshot(), actor.id);
    if (s.state === "Opened" && s.holder && s.holder.id !== actor.id && !force) {
      throw new AgentError("ATTACHED_TO_OTHER", `The session ${s.name} cannot be removed because it is connected to another user (${s.holder.name}).`);
    }
    this.opts.log.info({ sessionId: s.id, user: actor.id, force }, "session removed");
    s.terminate("Closed", `removed by ${actor.name}`);
    return toView(s.snapshot(), actor.id);
  }

  input(actor: TActingUser, ref: string, data: string): TSessionView {
    const s = this.resolve(ref);
    // A user the holder let join types alongside them; the line is theirs (attribution).
    if (!(s.state === "Opened" && s.joined.has(actor.id))) this.requireHeldBy(actor, s, "send input to");
    s.write(data, { id: actor.id, name: actor.name });
    return toView(s.snapshot(), actor.id);
  }

  /** The holder's terminal showed every byte before `offset` (the output buffer shrinks; a held command resumes). */
  ack(actor: TActingUser, ref: string, req: TAckRequest): TAckResponse {
    const s = this.resolve(ref);
    this.requireHeldBy(actor, s, "acknowledge output of");
    s.ack(req.offset);
    return { seenOffset: s.history.seen, outputOffset: s.history.end };
  }

  /**
   * Retained output from an offset, for a terminal that attaches, reloads or reconnects, and for
   * watchers: the holder, or a manager, admin or help desk user. Changes nothing.
   */
  readOutput(actor: TActingUser, ref: string, query: TOutputQuery): TOutputResponse {
    const s = this.resolve(ref);
    this.requireReader(actor, s, "read the output of");
    const r = s.readOutput(query.from, query.max ?? OUTPUT_READ_MAX_BYTES);
    return {
      offset: r.offset,
      output: r.data.toString("base64"),
      outputBytes: r.data.length,
      end: r.end,
      droppedBytes: r.droppedBytes,
      expiredBytes: r.expiredBytes,
      retainedFromOffset: s.history.start,
      seenOffset: s.history.seen,
      state: s.state,
    };
  }

  /**
   * A stream subscribes to the session's live output read-only (a console whose users watch it),
   * whoever holds the session. Nothing of the session changes: not its state, holder, cursor,
   * idle clock or buffering; a watching stream that falls behind loses frames, never holds the shell.
   */
  watch(actor: TActingUser, streamId: string | null, ref: string): TWatchResponse {
    const s = this.resolve(ref);
    this.requireReader(actor, s, "watch");
    this.requireLive(s, "watched");
    if (!streamId) throw new AgentError("VALIDATION_FAILED", "Watching needs the x-baton-stream header naming the stream that gets the output.");
    this.requireStream(streamId);
    if (!s.watchStreams.has(streamId) && s.watchStreams.size >= MAX_WATCH_STREAMS_PER_SESSION) {
      throw new AgentError("WATCH_LIMIT", `The session ${s.name} already has ${s.watchStreams.size} watching streams, the most it allows.`, {
        limit: MAX_WATCH_STREAMS_PER_SESSION,
      });
    }
    s.watchStreams.add(streamId);
    this.opts.log.info({ sessionId: s.id, user: actor.id, streamId }, "stream watching session");
    return { watching: true, outputOffset: s.outputOffset, watchStreams: s.watchStreams.size };
  }

  /** The stream stops getting the session's output as a watcher (a no-op when it was not watching). */
  unwatch(actor: TActingUser, streamId: string | null, ref: string): TWatchResponse {
    const s = this.resolve(ref);
    this.requireReader(actor, s, "stop watching");
    if (!streamId) throw new AgentError("VALIDATION_FAILED", "Unwatching needs the x-baton-stream header naming the watching stream.");
    if (s.watchStreams.delete(streamId)) this.opts.log.info({ sessionId: s.id, user: actor.id, streamId }, "stream stopped watching session");
    return { watching: false, outputOffset: s.outputOffset, watchStreams: s.watchStreams.size };
  }

  /**
   * Join: the holder lets `user` type alongside them (the console asked the holder and checked the
   * user's role). Lasts until `leave`, or until the session is detached or changes holder.
   */
  join(actor: TActingUser, ref: string, req: TJoinRequest): TJoinResponse {
    const s = this.resolve(ref);
    this.requireHeldBy(actor, s, "let someone join");
    if (req.user.id === actor.id) throw new AgentError("VALIDATION_FAILED", `${actor.name} holds ${s.name} already; only another user can join.`);
    s.joined.set(req.user.id, { id: req.user.id, name: req.user.name });
    this.opts.log.info({ sessionId: s.id, user: actor.id, joined: req.user.id }, "user joined session");
    return { joined: [...s.joined.values()] };
  }

  /** The holder ends a join, or the joined user leaves; a no-op for a user who had not joined. */
  leave(actor: TActingUser, ref: string, req: TLeaveRequest): TJoinResponse {
    const s = this.resolve(ref);
    if (actor.id !== req.userId) this.requireHeldBy(actor, s, "end a join of");
    if (s.joined.delete(req.userId)) this.opts.log.info({ sessionId: s.id, user: actor.id, left: req.userId }, "user left session");
    return { joined: [...s.joined.values()] };
  }

  /** Asks a full-screen program in the session to draw its screen again (for a terminal that just attached). */
  redraw(actor: TActingUser, ref: string): { redrawn: boolean } {
    const s = this.resolve(ref);
    this.requireReader(actor, s, "redraw");
    return { redrawn: s.redraw() };
  }

  resize(actor: TActingUser, ref: string, req: TResizeRequest): TSessionView {
    const s = this.resolve(ref);
    this.requireHeldBy(actor, s, "resize");
    s.resize(req.cols, req.rows);
    this.emit(s, "resized");
    return toView(s.snapshot(), actor.id);
  }

  /** Robust connection: sessions attached through a lost stream are disconnected, never killed. */
  streamLost(streamId: string, why: string): void {
    for (const s of this.sessions.values()) {
      s.watchStreams.delete(streamId);
      if (s.state !== "Opened" || s.streamId !== streamId) continue;
      const config = this.configs.get(s.configurationName.toLowerCase());
      const max = config ? Math.floor(config.maxIdleTimeoutMs / 1000) : s.idleTimeoutSec;
      const idleTimeoutSec = Math.max(this.opts.minIdleTimeoutSec, Math.min(s.idleTimeoutSec, max));
      s.detach({ idleTimeoutSec, mode: s.outputBufferingMode });
      this.opts.log.warn({ sessionId: s.id, streamId, why }, "stream lost; session disconnected");
      this.emit(s, "disconnected", { reason: `stream lost (${why}); the session keeps running disconnected` });
    }
  }

  /** Ends every shell with one sweep (one /proc scan at most, not one per session). */
  shutdown(): void {
    this.shuttingDown = true;
    this.spares.close();
    const live = [...this.sessions.values()].filter((s) => s.live);
    const pids = new Set<number>();
    for (const s of live) for (const p of s.processPids({ scanProc: false })) pids.add(p);
    const uncontained = live.filter((s) => !s.hasPidsCgroup && s.pid).map((s) => s.pid!);
    if (uncontained.length) for (const p of processTreePids(uncontained)) pids.add(p);
    killPids([...pids]);
    for (const s of live) s.terminate("Closed", "the agent host shut down", { alreadyKilled: true });
  }

  // --- helpers ---

  private attachFor(actor: TActingUser, streamId: string | null, s: Session, change: TSessionChange): void {
    this.requireLive(s, "connected");
    this.requireStream(streamId);
    if (s.state === "Opened") {
      if (s.holder && s.holder.id !== actor.id) {
        throw new AgentError("ATTACHED_TO_OTHER", `The session ${s.name} cannot be connected because it is connected to another user (${s.holder.name}).`);
      }
      // Already yours: a no-op, except that a console that reconnected may move it to its new stream.
      if (streamId && streamId !== s.streamId) s.attach(s.holder ?? { id: actor.id, name: actor.name }, streamId);
      return;
    }
    this.requirePermitted(actor, this.configOrThrow(s.configurationName));
    s.attach({ id: actor.id, name: actor.name }, streamId);
    this.opts.log.info({ sessionId: s.id, user: actor.id, via: change }, "session connected");
    this.emit(s, "connected");
  }

  private resolve(ref: string): Session {
    const s = /^\d{1,9}$/.test(ref) ? this.sessions.get(Number(ref)) : this.byInstance.get(ref.toLowerCase());
    if (!s) throw new AgentError("NOT_FOUND", `No session with id or instance id "${truncate(ref)}" exists on this computer.`);
    return s;
  }

  private configOrThrow(name: string): TSessionConfiguration {
    const c = this.configs.get(name.toLowerCase());
    if (!c) throw new AgentError("CONFIGURATION_NOT_FOUND", `No session configuration named "${truncate(name)}" exists on this computer.`);
    return c;
  }

  private requirePermitted(actor: TActingUser, config: TSessionConfiguration): void {
    const ok =
      config.allowedUsers.includes(actor.id) ||
      config.allowedRoles.includes("*") ||
      actor.roles.some((r) => config.allowedRoles.includes(r));
    if (!ok) throw new AgentError("FORBIDDEN", `User ${actor.name} may not use session configuration ${config.name}.`);
  }

  private requireLive(s: Session, verb: string): void {
    if (!s.live) {
      throw new AgentError("INVALID_STATE", `The session ${s.name} cannot be ${verb} because it is ${s.state}${s.reason ? ` (${s.reason})` : ""}.`, {
        state: s.state,
      });
    }
  }

  private requireHeldBy(actor: TActingUser, s: Session, verb: string): void {
    if (!s.live || s.state === "Disconnected") {
      throw new AgentError("INVALID_STATE", `Cannot ${verb} session ${s.name} because it is ${s.state}; connect to it first.`, { state: s.state });
    }
    if (!s.holder || s.holder.id !== actor.id) {
      throw new AgentError("ATTACHED_TO_OTHER", `Cannot ${verb} session ${s.name} because it is connected to another user${s.holder ? ` (${s.holder.name})` : ""}.`);
    }
  }

  private requireReader(actor: TActingUser, s: Session, verb: string): void {
    if (s.holder?.id === actor.id) return;
    // Auditors read output for transcripts; help desk, managers and admins watch.
    if (actor.roles.some((r) => r === "manager" || r === "admin" || r === "helpdesk" || r === "auditor")) return;
    throw new AgentError("FORBIDDEN", `User ${actor.name} may not ${verb} session ${s.name}: only its holder, a manager, an admin, help desk or an auditor may.`);
  }

  private requireStream(streamId: string | null): void {
    if (streamId && !this.stream?.has(streamId)) {
      throw new AgentError("STREAM_NOT_FOUND", `No open stream with id "${truncate(streamId)}"; open the stream first or omit the header.`);
    }
  }

  private refuseWhenShuttingDown(): void {
    if (this.shuttingDown) throw new AgentError("SHUTTING_DOWN", "The agent host is shutting down.");
  }

  private checkIdleTimeout(opts: {
    sessionName: string;
    value: number;
    config: TSessionConfiguration;
    action: "disconnected" | "created" | "started in a disconnected session";
  }): void {
    const min = this.opts.minIdleTimeoutSec;
    const max = Math.floor(opts.config.maxIdleTimeoutMs / 1000);
    if (opts.value >= min && opts.value <= max) return;
    throw new AgentError("IDLE_TIMEOUT_OUT_OF_RANGE", idleTimeoutOutOfRangeMessage({ ...opts, min, max }), {
      sessionName: opts.sessionName,
      value: opts.value,
      min,
      max,
      configurationName: opts.config.name,
    });
  }

  private checkQuotas(actor: TActingUser, config: TSessionConfiguration): void {
    const live = [...this.sessions.values()].filter((s) => s.live && s.configurationName === config.name);
    if (live.length >= config.maxShells) {
      throw new AgentError(
        "QUOTA_MAX_SHELLS",
        `Cannot create a session: configuration ${config.name} already has ${live.length} shells, its MaxShells quota is ${config.maxShells}.`,
        { quota: "MaxShells", limit: config.maxShells, current: live.length, configurationName: config.name },
      );
    }
    const mine = live.filter((s) => s.owner.id === actor.id).length;
    if (mine >= config.maxShellsPerUser) {
      throw new AgentError(
        "QUOTA_MAX_SHELLS_PER_USER",
        `Cannot create a session: user ${actor.name} already has ${mine} shells in configuration ${config.name}, its MaxShellsPerUser quota is ${config.maxShellsPerUser}.`,
        { quota: "MaxShellsPerUser", limit: config.maxShellsPerUser, current: mine, configurationName: config.name },
      );
    }
    const users = activeUsers(live);
    if (!users.has(actor.id) && users.size >= config.maxConcurrentUsers) {
      throw new AgentError(
        "QUOTA_MAX_CONCURRENT_USERS",
        `Cannot create a session: configuration ${config.name} already serves ${users.size} users, its MaxConcurrentUsers quota is ${config.maxConcurrentUsers}.`,
        { quota: "MaxConcurrentUsers", limit: config.maxConcurrentUsers, current: users.size, configurationName: config.name },
      );
    }
  }

  private configurationView(c: TSessionConfiguration): TConfigurationView {
    const live = [...this.sessions.values()].filter((s) => s.live && s.configurationName === c.name);
    const agentCheck = { enforced: true, mechanism: "agent quota check on New" };
    return {
      ...c,
      enforcement: {
        ...this.opts.limits.enforcement(),
        maxShells: agentCheck,
        maxShellsPerUser: agentCheck,
        maxConcurrentUsers: { enforced: true, mechanism: "agent quota check on New (distinct owners and holders of live sessions)" },
        idleTimeout: { enforced: true, mechanism: "agent timer from disconnect; ends the shell's processes at expiry" },
      },
      minIdleTimeoutSec: this.opts.minIdleTimeoutSec,
      activeShells: live.length,
      activeUsers: activeUsers(live).size,
    };
  }

  private emit(s: Session, change: TSessionChange, extra?: { command?: TFinishedCommand; reason?: string; control?: TControlInput }): void {
    // Output goes out in binary frames on the same streams: what the shell printed before this
    // event (a command's last bytes before its end) is sent first, so consoles see it in order.
    s.flushOutput();
    this.stream?.broadcast({
      type: "session.updated",
      change,
      session: s.snapshot(),
      ...(extra?.command ? { command: extra.command } : {}),
      ...(extra?.reason ? { reason: extra.reason } : {}),
      ...(extra?.control ? { control: extra.control } : {}),
      at: new Date().toISOString(),
    });
  }

  private onEnded(s: Session): void {
    this.ended.push(s.id);
    while (this.ended.length > MAX_ENDED_KEPT) {
      const old = this.sessions.get(this.ended.shift()!);
      if (old) this.forget(old);
    }
    const t = setTimeout(() => this.forget(s), this.opts.closedRetentionMs);
    t.unref();
  }

  /**
   * The next session of this configuration gets a spare shell, started once this request is
   * answered; a second one (in a burst, spare-shells.ts) on a later turn of the event loop, so
   * a request that came in meanwhile is served between the two forks.
   */
  private refillSpare(configName: string): void {
    setImmediate(() => {
      const config = this.configs.get(configName.toLowerCase());
      if (!config || this.shuttingDown) return;
      const live = [...this.sessions.values()].filter((s) => s.live && s.configurationName === config.name).length;
      if (this.spares.refill(config, config.maxShells - live)) this.refillSpare(configName);
    });
  }

  private forget(s: Session): void {
    this.sessions.delete(s.id);
    this.byInstance.delete(s.instanceId);
  }
}

function activeUsers(live: Session[]): Set<string> {
  const users = new Set<string>();
  for (const s of live) {
    users.add(s.owner.id);
    if (s.holder) users.add(s.holder.id);
  }
  return users;
}

function resolveMode(mode: TOutputBufferingMode | undefined, config: TSessionConfiguration): TEffectiveBufferingMode {
  return !mode || mode === "None" ? config.outputBufferingMode : mode;
}

/** Get-PSSession style name filter: * and ? wildcards, case-insensitive, whole name. */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

function truncate(s: string): string {
  const clean = s.replace(/\p{Cc}/gu, "?");
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

function stripName(c: TSessionConfiguration) {
  const { name: _name, ...rest } = c;
  return rest;
}
