import { EventEmitter } from "node:events";
import { AgentClient, AgentRequestError, type ActAs, type AgentStream } from "@/lib/fleet/agent-client";
import { ingestConfigurations, ingestSession, ingestSessions, markComputerBroken, reconcileComputer, SESSION_LOST_REASON, upsertConfiguration } from "@/lib/fleet/ingest";
import { db } from "@/lib/db/client";
import { AppError, isDbUnavailable } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { publish } from "@/lib/realtime/publish";
import { appendAuditEvent, appendAuditEvents, type TAuditInput } from "@/lib/audit/append";
import { TranscriptRecorder } from "@/lib/fleet/transcripts";
import { cluster } from "@/lib/cluster/cluster";
import { IngestLease } from "@/lib/cluster/lease";
import { OUTPUT_READ_MAX_BYTES, type TControlInput, type TOutputFrame, type TSessionSnapshot, type TStreamServerMessage, type TUserRef } from "@/lib/protocol";

export type TLinkStatus = "connecting" | "online" | "offline";
/** `tlsFingerprint`: the agent's certificate pinned in the registration (https only). */
export type TLinkedComputer = { id: string; name: string; address: string; tlsFingerprint?: string | null };

const COMPUTER_AUDIENCE = { roles: ["technician", "manager", "helpdesk", "admin"] as const };
const MAX_BACKOFF_MS = 15_000;
/** Agent events the store could not take are retried from this delay, doubling up to the maximum. */
const STORE_RETRY_MS = 250;
const STORE_RETRY_MAX_MS = 5_000;
/** How often the console's copy is checked against the agent's own list, whatever it heard. */
export const RECONCILE_INTERVAL_MS = 60_000;
const BROKEN_GRACE_MS = 2_000;
/** The identity the console's transcript recorder reads output under (agents let auditors read). */
const TRANSCRIPT_READER = { id: "baton-console", name: "Baton console (transcripts)", roles: ["auditor"] };
/** The identity an instance that takes over a computer's ingest lease lists its sessions under (read-only). */
const TAKEOVER_READER = { id: "baton-console", name: "Baton console (ingest takeover)", roles: ["auditor"] };
/** What a typed line is recorded as when the shell kept it out of its history (see lib/agent/shell.ts). */
export const COMMAND_NOT_REPORTED = "(command line not reported by the shell)";

type TTarget = { sessionId: string; sessionName: string };

/**
 * The console's connection to one agent host: one authenticated stream, kept open with
 * reconnect and backoff. While it is down the computer's sessions read Broken; on reconnect
 * the agent's hello reconciles them. Agent events are applied in order, one at a time.
 */
export class ComputerLink extends EventEmitter<{ output: [TOutputFrame]; status: [TLinkStatus] }> {
  readonly client: AgentClient;
  readonly transcripts = new TranscriptRecorder((instanceId, from, to) => this.readForTranscript(instanceId, from, to));
  status: TLinkStatus = "connecting";
  private stream: AgentStream | null = null;
  private stopped = false;
  private attempt = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private watchdog: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private brokenTimer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private leftoversAudited: string | null = null;
  /** The certificate refusal last audited ("expected presented"): a link retrying against it audits it once. */
  private certificateRefusalAudited: string | null = null;
  /** Sessions this console's users watch: instance id → how many watchers, and whom the agent was told. */
  private readonly watched = new Map<string, { count: number; as: ActAs }>();
  /**
   * Agent events not yet applied; applied in order, a burst of plain state changes in one commit.
   * An event stays here until the store took it: a failed write is retried, in order, with backoff.
   */
  private inbox: TStreamServerMessage[] = [];
  /**
   * Steps of an event already written, so that a retry does not write them twice. A step whose
   * COMMIT landed although the store's answer was lost is not marked and runs again: its history
   * line carries the agent's version, which the store takes once (insertHistoryLines).
   */
  private readonly progress = new WeakMap<TStreamServerMessage, TProgress>();
  /**
   * Audit records of changes already in the store whose own write failed (a reconcile's changes,
   * sessions turned Broken): kept, each with its key, and written before anything else next time,
   * so a change is neither left off the trail nor, when a lost answer hid a write that landed,
   * recorded twice. Kept in this process only: a console that stops meanwhile loses them.
   */
  private unaudited: TAuditInput[] = [];
  /** Consecutive failed attempts to write to the store; a success after failures reconciles at once. */
  private storeFailures = 0;
  private storeRetry: NodeJS.Timeout | null = null;
  private reconciler: NodeJS.Timeout | null = null;
  /** The agent's version, as its last hello said. */
  private agentVersion: string | null = null;
  /** Several console instances: only the holder of this computer's lease ingests its events (lib/cluster/lease.ts). */
  private readonly lease: IngestLease | null;

  constructor(
    readonly computer: TLinkedComputer,
    token: string,
  ) {
    super();
    this.client = new AgentClient({ baseUrl: computer.address, token, timeoutMs: 15_000, tlsFingerprint: computer.tlsFingerprint, name: computer.name });
    const c = cluster();
    this.lease = c ? new IngestLease(c, computer.id, () => this.enqueue(() => this.catchUp())) : null;
  }

  /** Whether this instance writes the agent's events to the store (always, when it runs alone). */
  get ingests(): boolean {
    return !this.lease || this.lease.isHeld;
  }

  /**
   * Pins the agent's new certificate (it was rotated and the computer registered again): the next
   * connection is checked against it, the open stream (checked when it opened) stays.
   */
  setTlsFingerprint(fingerprint: string): void {
    this.client.setTlsFingerprint(fingerprint);
    this.computer.tlsFingerprint = fingerprint;
    this.certificateRefusalAudited = null;
  }

  get streamId(): string | null {
    return this.stream?.id || null;
  }

  start(): void {
    this.lease?.start();
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.lease?.stop();
    if (this.retry) clearTimeout(this.retry);
    if (this.storeRetry) clearTimeout(this.storeRetry);
    if (this.reconciler) clearInterval(this.reconciler);
    if (this.brokenTimer) clearTimeout(this.brokenTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    const stream = this.stream;
    this.stream = null;
    if (stream) {
      // A polite close, but never wait on a peer that is gone.
      await Promise.race([stream.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
      stream.terminate();
    }
    this.client.close();
  }

  /** Runs one agent request for an acting user; agent errors become readable AppErrors. */
  async request<T>(as: ActAs, fn: (client: AgentClient, streamId: string | null) => Promise<T>): Promise<T> {
    if (this.status !== "online") {
      // Why the stream is down (a Node error naming an address) is for the log and the computers page, not the user.
      throw new AppError("AGENT_UNAVAILABLE", notAnswering(this.computer.name));
    }
    try {
      return await fn(this.client, this.streamId);
    } catch (err) {
      throw toAppError(this.computer.name, err, as);
    }
  }

  /**
   * One more watcher of a session on this console: the first one subscribes this console's stream
   * to the session's output on the agent (read-only; nothing of the session changes). The
   * subscription is renewed on every new stream, and dropped with the last watcher.
   */
  async watch(as: ActAs, instanceId: string): Promise<void> {
    const entry = this.watched.get(instanceId);
    if (entry) return void entry.count++;
    this.watched.set(instanceId, { count: 1, as });
    try {
      await this.request(as, (c, streamId) => {
        if (!streamId) throw new AppError("AGENT_UNAVAILABLE", `${this.computer.name} has no open stream to watch through.`);
        return c.watch(as, instanceId, { streamId });
      });
    } catch (err) {
      this.unwatchLocal(instanceId);
      throw err;
    }
  }

  /** One watcher fewer; the last one ends the stream's subscription. */
  unwatch(instanceId: string): void {
    const entry = this.watched.get(instanceId);
    if (!entry || !this.unwatchLocal(instanceId)) return;
    const streamId = this.streamId;
    if (!streamId || this.status !== "online") return;
    this.client.unwatch(entry.as, instanceId, { streamId }).catch((err) => logger.info({ err: (err as Error).message, computer: this.computer.name }, "unwatch failed"));
  }

  /** True when the last watcher left. */
  private unwatchLocal(instanceId: string): boolean {
    const entry = this.watched.get(instanceId);
    if (!entry) return false;
    if (--entry.count > 0) return false;
    this.watched.delete(instanceId);
    return true;
  }

  /** Adds output obtained outside the stream (Receive, a terminal's replay) to the transcript, by offset. */
  recordOutputAt(instanceId: string, offset: number, data: Buffer): Promise<void> {
    // The lease holder records it: it reads what its stream did not carry from the agent by offset.
    if (!this.ingests) return Promise.resolve();
    this.transcripts.add(instanceId, offset, data);
    return new Promise((resolve) => this.enqueue(() => this.transcripts.flush(instanceId).finally(resolve)));
  }

  private async readForTranscript(instanceId: string, from: number, to: number): Promise<{ offset: number; data: Buffer } | null> {
    if (this.status !== "online") return null;
    const r = await this.client.readOutput(TRANSCRIPT_READER, instanceId, from, Math.min(to - from, OUTPUT_READ_MAX_BYTES));
    return { offset: r.offset, data: r.output };
  }

  private enqueue(work: () => Promise<unknown>): void {
    this.queue = this.queue.then(work).catch((err) => logger.error({ err, computer: this.computer.name }, "agent event failed to apply"));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus("connecting");
    let stream: AgentStream;
    try {
      // Output on this stream counts as seen only once a terminal acks it (the holder's cursor).
      stream = await this.client.openStream({ acks: true });
    } catch (err) {
      this.lastError = (err as Error).message;
      if (err instanceof AgentRequestError && err.code === "CERTIFICATE_MISMATCH") this.certificateRefused(err);
      return this.lost(this.lastError);
    }
    if (this.stopped) return void stream.close();
    this.stream = stream;
    this.attempt = 0;
    this.lastError = null;
    this.certificateRefusalAudited = null;
    if (this.brokenTimer) clearTimeout(this.brokenTimer);
    this.brokenTimer = null;
    const hello = stream.hello!;
    let lastHeard = Date.now();
    let lastRecorded = Date.now();
    stream.ws.on("ping", () => {
      lastHeard = Date.now();
      // "Last heartbeat" on the computers page: recorded at most every 10 s, not on every ping.
      if (lastHeard - lastRecorded < 10_000 || !this.ingests) return;
      lastRecorded = lastHeard;
      this.enqueue(() => db.computer.update({ where: { id: this.computer.id }, data: { lastSeenAt: new Date(lastHeard) } }));
    });
    stream.on("message", (m) => {
      lastHeard = Date.now();
      if (!this.ingests) return;
      this.inbox.push(m);
      if (this.inbox.length === 1 && !this.storeRetry) this.enqueue(() => this.pump());
    });
    stream.on("output", (frame) => {
      lastHeard = Date.now();
      if (this.ingests) this.transcripts.add(frame.instanceId, frame.offset, frame.data);
      this.emit("output", frame);
    });
    const flusher = setInterval(() => this.enqueue(() => this.transcripts.flushAll()), 1000);
    flusher.unref();
    stream.once("close", () => clearInterval(flusher));
    stream.once("close", () => {
      if (this.stream === stream) this.lost("stream closed");
    });
    // An agent that stops heartbeating is as good as gone, even if TCP has not noticed.
    this.watchdog = setInterval(() => {
      if (Date.now() - lastHeard > hello.heartbeatMs * 3) stream.terminate();
    }, hello.heartbeatMs);
    this.watchdog.unref();

    this.agentVersion = hello.agent.version;
    // Transcripts go on from what was unseen when this stream opened (a previous console recorded the rest).
    for (const snap of hello.sessions) this.transcripts.start(snap.instanceId, snap.seenOffset ?? snap.outputOffset);
    if (!this.reconciler) {
      this.reconciler = setInterval(() => {
        if (this.status === "online" && !this.storeRetry && this.ingests) this.enqueue(() => this.reconcileNow().catch(this.retryOnStoreFailure("reconcile")));
      }, RECONCILE_INTERVAL_MS);
      this.reconciler.unref();
    }
    this.enqueue(async () => {
      if (this.ingests) await this.ingestHello(hello);
      this.setStatus("online");
      // Watchers on this console keep getting output through the new stream (a gap is read back by offset).
      for (const [instanceId, w] of this.watched) {
        await this.client.watch(w.as, instanceId, { streamId: stream.id }).catch((err) => logger.info({ err: (err as Error).message, instanceId }, "re-watch failed"));
      }
      logger.info({ computer: this.computer.name, sessions: hello.sessions.length, ingests: this.ingests }, "agent stream open");
    });
  }

  /**
   * A new stream's hello (or this instance taking the computer's ingest lease): events of the
   * previous stream still waiting for the store go first (they are older), then every session is
   * reconciled, leftovers audited, configurations refreshed. While the store fails, the reconcile
   * that follows its recovery does this part.
   */
  private async ingestHello(hello: NonNullable<AgentStream["hello"]>): Promise<void> {
    if (!(await this.pump())) return;
    try {
      await this.reconcileNow(hello.sessions);
      this.storeFailures = 0;
      // Processes a dead agent run left behind, which this agent's start ended: on record, once.
      const left = hello.leftovers;
      if (left && left.endedOn !== this.leftoversAudited) {
        await appendAuditEvent({
          actor: this.agentActor(),
          action: "agent.leftovers-ended",
          outcome: "ok",
          computerName: this.computer.name,
          params: { endedOn: left.endedOn, count: left.count, sessions: left.sessions, processes: left.processes.slice(0, 20) },
        });
        this.leftoversAudited = left.endedOn;
      }
      await ingestConfigurations(this.computer.id, await this.client.listConfigurations());
    } catch (err) {
      if (!isStoreFailure(err)) throw err;
      this.storeFailed(err, "reconcile");
    }
  }

  /**
   * This instance just took the computer's lease (the previous holder stopped or died): what it
   * did not ingest meanwhile is caught up as a stream's hello is, from the agent's own list.
   */
  private async catchUp(): Promise<void> {
    if (this.status !== "online" || !this.ingests || !this.stream?.hello) return;
    const sessions = await this.client.listSessions(TAKEOVER_READER);
    // Leftovers of a dead agent run were the previous holder's to audit, when its stream opened.
    await this.ingestHello({ ...this.stream.hello, sessions, leftovers: undefined });
    logger.info({ computer: this.computer.name, sessions: sessions.length }, "ingest lease taken over; sessions reconciled");
  }

  /**
   * Brings the console's copy in line with the agent's own list (the hello's, else asked now):
   * rows, history lines and the audit events of what the agent did meanwhile, at its times.
   */
  private async reconcileNow(snapshots?: TSessionSnapshot[]): Promise<void> {
    const listed = snapshots ?? (await this.client.listSessions(TRANSCRIPT_READER));
    // A session with events still waiting here is brought up to date by those events (in order,
    // with their own times): the reconcile leaves it alone rather than record its change twice.
    const waiting = new Set(this.inbox.flatMap((m) => (m.type === "session.updated" ? [m.session.instanceId] : [])));
    const list = listed.filter((s) => !waiting.has(s.instanceId));
    await db.computer.update({
      where: { id: this.computer.id },
      data: { status: "online", lastSeenAt: new Date(), lastError: null, ...(this.agentVersion ? { agentVersion: this.agentVersion } : {}) },
    });
    const changes = await reconcileComputer(this.computer.id, list, waiting);
    await this.auditPending(changes.map((c) => this.agentChangeEvent(c.change, c.reason, { sessionId: c.sessionId, sessionName: c.sessionName }, c.at, writtenChangeKey(c))));
  }

  /** Writes the kept audit records (and these), oldest first, as one group. A store failure is thrown; they stay. */
  private async auditPending(more: (TAuditInput | null)[] = []): Promise<void> {
    for (const e of more) if (e) this.unaudited.push(e);
    if (!this.unaudited.length) return;
    const group = this.unaudited.slice();
    try {
      await appendAuditEvents(group);
    } catch (err) {
      if (isStoreFailure(err)) throw err;
      // Data the store refuses cannot hold up every later record: logged, let go.
      logger.error({ err, computer: this.computer.name, events: group.length }, "agent changes could not be audited");
    }
    this.unaudited.splice(0, group.length);
  }

  /**
   * Applies the agent events waiting in the inbox, in order. On a store failure the event stays
   * first in line and the lot is retried with backoff; the first success after failures is
   * followed by a reconcile against the agent's list. Returns whether the inbox was emptied.
   */
  private async pump(): Promise<boolean> {
    try {
      await this.applyInbox();
      await this.auditPending();
    } catch (err) {
      this.storeFailed(err, "agent event");
      return false;
    }
    // Not online: the next stream's hello reconciles (and resets the count).
    if (this.storeFailures > 0 && this.status === "online") {
      try {
        await this.reconcileNow();
      } catch (err) {
        this.storeFailed(err, "reconcile");
        return false;
      }
      logger.info({ computer: this.computer.name, attempts: this.storeFailures }, "store writes resumed; reconciled with the agent");
      this.storeFailures = 0;
    }
    return true;
  }

  /** For a write's catch: a store failure is retried later (storeFailed); anything else is passed on. */
  private retryOnStoreFailure(what: string): (err: unknown) => Promise<void> {
    return async (err) => {
      if (!isStoreFailure(err)) throw err;
      this.storeFailed(err, what);
    };
  }

  /** A write to the store failed: try again later, doubling the wait (the inbox keeps what waits). */
  private storeFailed(err: unknown, what: string): void {
    if (this.stopped) return;
    const delay = Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_MS * 2 ** Math.min(this.storeFailures, 10));
    this.storeFailures++;
    logger.warn({ err: (err as Error).message, computer: this.computer.name, attempt: this.storeFailures, retryInMs: delay }, `${what} could not be written; retrying`);
    if (this.storeRetry) return;
    this.storeRetry = setTimeout(() => {
      this.storeRetry = null;
      this.enqueue(() => this.pump());
    }, delay);
    this.storeRetry.unref();
  }

  /**
   * Applies the inbox from its head, removing each event once written. A store failure is
   * thrown (the event stays); an event that can never be written (a bug, data the store
   * refuses) is logged and skipped, so it cannot hold up the rest.
   */
  private async applyInbox(): Promise<void> {
    while (this.inbox.length) {
      let j = 0;
      while (j < this.inbox.length && this.isPlainChange(this.inbox[j])) j++;
      const n = Math.max(1, j);
      try {
        if (j > 0) await this.applyPlainChanges(this.inbox.slice(0, j) as TSessionUpdated[]);
        else await this.apply(this.inbox[0]);
      } catch (err) {
        if (isStoreFailure(err)) throw err;
        logger.error({ err, computer: this.computer.name, events: n }, "agent event failed to apply");
      }
      this.inbox.splice(0, n);
    }
  }

  /** A state change with nothing to it but the session's row and its history line (no audit, no command record). */
  private isPlainChange(m: TStreamServerMessage): boolean {
    return m.type === "session.updated" && PLAIN_CHANGES.has(m.change) && agentChangeAction(m.change, m.reason) === null;
  }

  private async applyPlainChanges(batch: TSessionUpdated[]): Promise<void> {
    for (const m of batch) {
      if (m.change !== "closed") this.transcripts.expect(m.session.instanceId, m.session.outputOffset);
      await this.transcripts.flush(m.session.instanceId, m.session.outputOffset);
    }
    const p = this.progressOf(batch[0]);
    if (!p.done.has("ingest")) {
      await ingestSessions(batch.map((m) => ({ computerId: this.computer.id, snapshot: m.session, change: m.change, reason: m.reason, at: new Date(m.at) })));
      p.done.add("ingest");
    }
    for (const m of batch) if (m.change === "closed") this.transcripts.forget(m.session.instanceId);
  }

  private async finishCommands(sessionId: string, c: { finishedOn: string; exitCode: number }): Promise<void> {
    await db.sessionCommand.updateMany({ where: { sessionId, endedAt: null }, data: { endedAt: new Date(c.finishedOn), exitCode: c.exitCode } });
  }

  private async apply(m: TStreamServerMessage): Promise<void> {
    switch (m.type) {
      case "session.updated": {
        // Output produced before this event belongs to the command it may finish (read from the
        // agent by offset if the stream did not carry it: a disconnected session's output).
        if (m.change === "created") this.transcripts.start(m.session.instanceId, 0);
        if (m.change !== "closed") this.transcripts.expect(m.session.instanceId, m.session.outputOffset);
        await this.transcripts.flush(m.session.instanceId, m.session.outputOffset);
        // Each step is written once: a retry after a store failure goes on from the step that failed.
        const p = this.progressOf(m);
        const once = async (step: string, work: () => Promise<unknown>) => {
          if (p.done.has(step)) return;
          await work();
          p.done.add(step);
        };
        const at = new Date(m.at);
        // A command's row (typed line, exit code) is written before the session's update is
        // published, so a page that refetches on that event sees it.
        const commandChange = (m.change === "command.finished" && m.command) || (m.change === "command.started" && m.session.command);
        await once("known", async () => {
          const known = commandChange ? await db.session.findUnique({ where: { instanceId: m.session.instanceId }, select: { id: true } }) : null;
          p.early = known ? { sessionId: known.id, sessionName: m.session.name } : null;
        });
        const early = p.early ?? null;
        if (early && m.change === "command.finished" && m.command) await once("finish", () => this.finishCommands(early.sessionId, m.command!));
        if (early && m.change === "command.started" && m.session.command) await this.recordTypedCommand(m.session, early, once);
        await once("ingest", async () => {
          p.sessionId = await ingestSession({ computerId: this.computer.id, snapshot: m.session, change: m.change, reason: m.reason, at });
        });
        const target = { sessionId: p.sessionId!, sessionName: m.session.name };
        await once("audit", () => this.auditAgentChange(m.change, m.reason, target, at, agentEventKey(m.session, m.change)));
        if (!early && m.change === "command.started" && m.session.command) await this.recordTypedCommand(m.session, target, once);
        if (m.change === "input.control" && m.control) await once("control", () => this.auditControlKey(m.control!, target, at, agentEventKey(m.session, "control")));
        if (m.change === "closed" || m.change === "broken") this.transcripts.forget(m.session.instanceId);
        if (!early && m.change === "command.finished" && m.command) await once("finish", () => this.finishCommands(target.sessionId, m.command!));
        return;
      }
      case "configuration.updated":
        return upsertConfiguration(this.computer.id, m.configuration);
      case "hello":
      case "pong":
        await db.computer.update({ where: { id: this.computer.id }, data: { lastSeenAt: new Date() } });
        return;
      case "error":
        logger.warn({ computer: this.computer.name, code: m.error.code }, "agent stream error");
        return;
    }
  }

  /**
   * A line typed in a terminal is recorded like a `run` command (whose row the run operation
   * wrote already): a SessionCommand row with its typist, and an audit event in the chain. The
   * typist is the user whose input ended the line, as the agent saw it.
   */
  private async recordTypedCommand(session: TSessionSnapshot, target: TTarget, once: TOnce): Promise<void> {
    const c = session.command!;
    const holder = session.holder;
    // Agents that predate attribution send neither source nor the line; their typed lines are the null ones.
    const typed = c.source === "terminal" || (c.source === undefined && c.command === null);
    if (!typed) return;
    const typist = c.source === "terminal" ? (c.typedBy ?? null) : holder;
    const actor = await this.consoleUser(typist);
    const command =
      c.command === null ? COMMAND_NOT_REPORTED : c.commandTruncated ? `${c.command}\n… (the shell reported only the first 64 KiB of this line)` : c.command;
    // The command's id is unique in its session: the row and the event are written once each
    // however often this event is applied (a retry after a COMMIT whose answer was lost).
    const dedupeKey = `typed:${session.instanceId}:${c.id}`;
    await once("typed-row", () =>
      db.sessionCommand.upsert({ where: { dedupeKey }, create: { sessionId: target.sessionId, actorId: actor.id, command, startedAt: new Date(c.startedOn), dedupeKey }, update: {} }),
    );
    await once("typed-audit", () =>
      appendAuditEvent({ actor, action: "terminal.command", outcome: "ok", computerName: this.computer.name, ...target, params: { command, commandId: c.id }, at: new Date(c.startedOn), dedupeKey }),
    );
  }

  /** Control keys are input events by whom; the agent already aggregated repeats (one report a second per key and user). */
  private async auditControlKey(control: TControlInput, target: TTarget, at: Date, dedupeKey: string | undefined): Promise<void> {
    await appendAuditEvent({
      at,
      dedupeKey,
      actor: await this.consoleUser(control.by),
      action: control.key === "Ctrl-C" ? "terminal.interrupt" : "terminal.control-key",
      outcome: "ok",
      computerName: this.computer.name,
      ...target,
      params: { key: control.key, count: control.count, command: control.command?.command ?? null, commandId: control.command?.id ?? null },
    });
  }

  /** The console user an agent names (the console asserted it); a name the store does not know is kept as given. */
  private async consoleUser(ref: TUserRef | null): Promise<{ id: string | null; name: string; role: string }> {
    if (!ref) return { id: null, name: "(unknown typist)", role: "unknown" };
    const user = await db.user.findUnique({ where: { id: ref.id }, select: { id: true, username: true, role: true } });
    return user ? { id: user.id, name: user.username, role: user.role } : { id: null, name: ref.name, role: "unknown" };
  }

  /** Changes the agent made on its own (not at a console user's request) are audited as the agent's. */
  private async auditAgentChange(change: string, reason: string | undefined, target: TTarget, at?: Date, dedupeKey?: string): Promise<void> {
    const event = this.agentChangeEvent(change, reason, target, at, dedupeKey);
    if (event) await appendAuditEvent(event);
  }

  /** The audit record of a change the agent made on its own; null for a change not audited. */
  private agentChangeEvent(change: string, reason: string | undefined, target: TTarget, at?: Date, dedupeKey?: string): TAuditInput | null {
    const action = agentChangeAction(change, reason);
    return action ? { actor: this.agentActor(), action, outcome: "ok", computerName: this.computer.name, ...target, params: { reason }, at, dedupeKey } : null;
  }

  private progressOf(m: TStreamServerMessage): TProgress {
    let p = this.progress.get(m);
    if (!p) this.progress.set(m, (p = { done: new Set() }));
    return p;
  }

  private agentActor() {
    return { id: null, name: `agent ${this.computer.name}`, role: "agent" };
  }

  /**
   * The agent presented a certificate other than the pinned one (the stream was not opened, the
   * token not sent). On record once per refusal, not on every retry; the computers page shows it
   * as the link's last error until the agent or the registration changes.
   */
  private certificateRefused(err: AgentRequestError): void {
    const expected = String(err.details?.expected ?? "");
    const presented = String(err.details?.presented ?? "");
    const key = `${expected} ${presented}`;
    logger.warn({ computer: this.computer.name, expected, presented }, "agent certificate refused");
    if (this.certificateRefusalAudited === key) return;
    this.certificateRefusalAudited = key;
    this.enqueue(async () => {
      // With several consoles, the one that holds the computer's ingest lease puts it on record.
      if (!this.ingests) return void (this.certificateRefusalAudited = null);
      await appendAuditEvent({
        actor: this.agentActor(),
        action: "agent.certificate-refused",
        outcome: "refused",
        computerName: this.computer.name,
        params: { address: this.computer.address, expectedFingerprint: expected, presentedFingerprint: presented },
        error: err.message,
      });
    });
  }

  private lost(reason: string): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.stream = null;
    if (this.stopped) return;
    const wasOnline = this.status === "online" || this.attempt === 0;
    this.setStatus("offline");
    this.enqueue(async () => {
      if (!this.ingests) return;
      await db.computer.update({ where: { id: this.computer.id }, data: { status: "offline", lastError: reason } });
      publish({ type: "computer.updated", id: this.computer.id }, COMPUTER_AUDIENCE);
    });
    // A stream that drops and comes straight back is a blip; sessions turn Broken only when the
    // agent stays unreachable past the first quick retry.
    if (wasOnline) {
      this.brokenTimer = setTimeout(() => {
        this.brokenTimer = null;
        if (this.status === "online" || this.stopped) return;
        this.enqueue(async () => {
          if (!this.ingests) return;
          const why = `${this.computer.name} stopped answering (${this.lastError ?? reason})`;
          const at = new Date();
          const broken = await markComputerBroken(this.computer.id, why, at);
          const offline: TAuditInput = {
            actor: this.agentActor(),
            action: "agent.computer-offline",
            outcome: "ok",
            computerName: this.computer.name,
            params: { reason: this.lastError ?? reason, brokenSessions: broken.length },
            at,
            dedupeKey: `offline:${this.computer.id}:${at.getTime()}`,
          };
          // Each session's trail shows it turned Broken, not only the computer's.
          const sessions = broken.map((target) => this.agentChangeEvent("broken", why, target, at, writtenChangeKey({ ...target, change: "broken", at })));
          await this.auditPending([offline, ...sessions]).catch(this.retryOnStoreFailure("audit"));
        });
      }, BROKEN_GRACE_MS);
      this.brokenTimer.unref();
    }
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++);
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }

  private setStatus(status: TLinkStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", status);
    publish({ type: "computer.updated", id: this.computer.id }, COMPUTER_AUDIENCE);
  }
}

type TSessionUpdated = Extract<TStreamServerMessage, { type: "session.updated" }>;

/**
 * Names what an agent's event records (its session, the snapshot's version, which record), so a
 * retry writes it once. Agents that predate snapshot versions get none.
 */
function agentEventKey(session: TSessionSnapshot, what: string): string | undefined {
  return session.version ? `agent:${session.instanceId}:${session.version}:${what}` : undefined;
}
/**
 * Names the audit record of a change the console worked out and wrote itself (a reconcile, a
 * session turned Broken), by the session's row, the change and its time, the same on a retry.
 */
function writtenChangeKey(c: { sessionId: string; change: string; at: Date }): string {
  return `written:${c.sessionId}:${c.change}:${c.at.getTime()}`;
}
type TProgress = { done: Set<string>; early?: TTarget | null; sessionId?: string };
type TOnce = (step: string, work: () => Promise<unknown>) => Promise<void>;

const RETRYABLE_PRISMA_CODES = new Set(["P2024", "P2028", "P2034"]);

/**
 * Whether a failed write is the store's trouble (unreachable, restarting, out of connections),
 * worth retrying, rather than a bug or data it refuses (a constraint, a validation error),
 * which no retry would cure.
 */
export function isStoreFailure(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return false;
  const e = err as { name?: string; code?: unknown } | null;
  if (e?.name === "PrismaClientValidationError" || err instanceof AppError) return false;
  // A raw statement's failure is P2010 whatever the cause: the driver's own error says whether the database was unreachable.
  if (isDbUnavailable(err)) return true;
  // P2xxx: the query reached the database and was refused for its data, except running out of
  // time or connections (P2024 pool timeout, P2028 transaction timed out, P2034 write conflict).
  return !(typeof e?.code === "string" && /^P2\d{3}$/.test(e.code) && !RETRYABLE_PRISMA_CODES.has(e.code));
}
const PLAIN_CHANGES = new Set<string>(["connected", "disconnected", "received", "closed", "buffered", "buffer.resumed", "resized"]);

function agentChangeAction(change: string, reason: string | undefined): string | null {
  return change === "closed" && reason?.startsWith("IdleTimeout")
    ? "agent.idle-expired"
    : change === "broken"
      ? "agent.session-broken"
      : change === "buffer.full"
        ? "agent.buffer-full"
        : change === "disconnected" && reason?.startsWith("stream lost")
          ? "agent.robust-disconnect"
          : change === "closed" && reason === SESSION_LOST_REASON
            ? "agent.session-lost"
            : null;
}

const AGENT_CODE_TO_APP: Record<string, AppError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  CONFIGURATION_NOT_FOUND: "NOT_FOUND",
  FORBIDDEN: "FORBIDDEN",
  VALIDATION_FAILED: "INVALID_INPUT",
  IDLE_TIMEOUT_OUT_OF_RANGE: "INVALID_INPUT",
  QUOTA_MAX_SHELLS: "QUOTA_EXCEEDED",
  QUOTA_MAX_SHELLS_PER_USER: "QUOTA_EXCEEDED",
  QUOTA_MAX_CONCURRENT_USERS: "QUOTA_EXCEEDED",
  INVALID_STATE: "INVALID_STATE",
  ATTACHED_TO_OTHER: "INVALID_STATE",
  COMMAND_RUNNING: "INVALID_STATE",
  SHUTTING_DOWN: "AGENT_UNAVAILABLE",
  NETWORK: "AGENT_UNAVAILABLE",
};

const notAnswering = (computerName: string) =>
  `${computerName} is not answering. Check that its agent is running and reachable, then try again when it is back online.`;

/**
 * Turns a failed agent request into words a user can act on, naming the computer. The agent's
 * own refusals are already written for people (e.g. Example 4's wording) and are kept; a lost
 * connection, a timeout or an unreadable answer carries an internal URL and a Node error, which
 * go to the log only.
 */
export function toAppError(computerName: string, err: unknown, as: ActAs): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof AgentRequestError) {
    if (err.code === "UNAUTHORIZED") return new AppError("AGENT_ERROR", `${computerName} refused the console's token; an admin must re-register it.`);
    if (err.code === "CERTIFICATE_MISMATCH") {
      logger.warn({ computer: computerName, userId: as.id, ...err.details }, "agent certificate refused");
      return new AppError(
        "AGENT_ERROR",
        `${computerName} presented a TLS certificate other than the one pinned in its registration, so the console sent it nothing. An admin must check the agent's certificate and, if it was replaced on purpose, register the computer again with its new fingerprint.`,
      );
    }
    if (err.code === "NETWORK") {
      logger.warn({ computer: computerName, userId: as.id, err: err.message }, "agent request lost");
      return new AppError(
        "AGENT_UNAVAILABLE",
        `${computerName} stopped answering before it confirmed this request, so it may or may not have been done. Check that its agent is running, then look at the session and try again.`,
      );
    }
    if (err.code === "BAD_RESPONSE") {
      logger.error({ computer: computerName, userId: as.id, status: err.status, err: err.message }, "agent answered unreadably");
      return new AppError("AGENT_ERROR", `${computerName} gave an answer the console could not read. Check that its agent runs the same Baton version as the console, then try again.`);
    }
    if (err.code === "SHUTTING_DOWN") return new AppError("AGENT_UNAVAILABLE", `${computerName} is shutting down its agent. Try again when it is back online.`);
    const code = AGENT_CODE_TO_APP[err.code] ?? "AGENT_ERROR";
    logger.info({ computer: computerName, code: err.code, userId: as.id }, "agent refused request");
    return new AppError(code, err.code in AGENT_CODE_TO_APP ? err.message : `${computerName} could not complete the request (${err.message}).`);
  }
  logger.error({ err, computer: computerName }, "agent request failed");
  return new AppError("AGENT_ERROR", `${computerName} could not complete the request. Try again; if it keeps failing, an admin can find the details in the console's log.`);
}
