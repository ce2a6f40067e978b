import type { Socket } from "socket.io";
import { z } from "zod";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { AppError } from "@/lib/errors";
import { actAs } from "@/lib/fleet/act-as";
import type { ComputerLink } from "@/lib/fleet/computer-link";
import { fleet } from "@/lib/fleet/fleet";
import { appendAuditEvent } from "@/lib/audit/append";
import { JOIN_ROLES, ROLE_LABEL, WATCH_ROLES } from "@/lib/auth/roles";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { publish } from "@/lib/realtime/publish";
import { describeGap, lastLines, startAtLine, TERMINAL_CHUNK_BYTES, TERMINAL_SCROLLBACK_LINES, type TPresence, type TTerminalOutput, type TTerminalPresence, type TTerminalWaiting } from "@/lib/realtime/terminal-protocol";
import { ZJoinReason } from "@/lib/sessions/reason";
import { addWatcher, presenceOf, removeWatcher, roomForSession, watchersOf } from "@/lib/realtime/watchers";
import { cluster } from "@/lib/cluster/cluster";
import { presenceAcross, syncPresence, watcherCountAcross } from "@/lib/cluster/presence";
import type { TOutputFrame } from "@/lib/protocol";

// A browser terminal for a session the user is attached to. The session's output is one byte
// stream by offset, retained on the agent: a terminal that attaches gets the retained window
// (or, reattaching after a blip, everything after its own cursor), then live frames from the
// agent's stream, each byte once and in order. What the terminal has shown it acks, which is
// the holder's cursor on the agent (Receive returns only the rest). Keystrokes and resizes go
// to the agent as this user.
//
// A watcher's terminal (help desk, managers, admins) is the same replay and live output, read-only:
// this console's stream watches the session on the agent (so a Disconnected session, or one
// attached through another console, still sends live frames), the terminal never acks (acks are
// the holder's cursor), and every keystroke, resize or ack from it is refused here, per message,
// whatever the browser sends. Everyone in the session's room sees who watches; the holder may end
// a watch. Watch start, stop, end by the holder and refusals are audited.
//
// Join: a watching manager or admin asks to type; the holder accepts or refuses. A joined
// terminal's keystrokes go to the agent as its own user (the agent accepts them because the
// holder named that user, and attributes each line to its typist); resizes and acks stay the
// holder's. The holder ends a join as they end a watch. Every step is audited.
const ZSessionId = z.string().regex(/^[a-z0-9]{20,40}$/);
const ZAttach = z.strictObject({ sessionId: ZSessionId, from: z.number().int().nonnegative().nullable().optional() });
const ZDetach = z.strictObject({ sessionId: ZSessionId });
const ZInput = z.strictObject({ sessionId: ZSessionId, data: z.string().min(1).max(16 * 1024) });
const ZResize = z.strictObject({ sessionId: ZSessionId, cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) });
const ZAck = z.strictObject({ sessionId: ZSessionId, offset: z.number().int().nonnegative() });
const ZWatch = z.strictObject({ sessionId: ZSessionId });
const ZEndWatch = z.strictObject({ sessionId: ZSessionId, userId: z.string().min(1).max(64) });
const ZJoinRequest = z.strictObject({ sessionId: ZSessionId, reason: ZJoinReason.optional() });
const ZJoinAnswer = z.strictObject({ sessionId: ZSessionId, userId: z.string().min(1).max(64), accept: z.boolean() });

/** Acks reach the agent at most this often per terminal (the newest offset wins). */
const ACK_INTERVAL_MS = 100;

/** How long a request to watch waits for the holder's answer ("no watching without asking"). */
const WATCH_ASK_TIMEOUT_MS = 120_000;

type TSub = {
  /** `hold`: the holder's terminal (input, resize, acks). `watch`: read-only. `joined`: a watcher who may type. */
  mode: "hold" | "watch" | "joined";
  instanceId: string;
  computerId: string;
  /** Offset of the next byte this browser needs. */
  cursor: number;
  /** False while a replay is being fetched: live frames wait in `queue`. */
  live: boolean;
  queue: TOutputFrame[];
  off: () => void;
  /** Keystrokes, resizes and acks go to the agent one after another, in order. */
  chain: Promise<unknown>;
  ackTo: number;
  ackSent: number;
  ackTimer: ReturnType<typeof setTimeout> | null;
  /** What the audit trail names (watchers). */
  target: { sessionId: string; sessionName: string; computerName: string };
  /** A watcher's first refused message is audited; the rest are only logged. */
  refusedAudited: boolean;
};
/** The holder's answer to a request to watch: accepted, or why not (and whether the holder's answer is audited already). */
type TWatchAnswer = { accepted: true } | { accepted: false; why: string; byHolder: boolean };

type TAck = (
  r: { ok: true; cols?: number; rows?: number; from: number; end: number; watchers?: TTerminalPresence["watchers"] } | { ok: false; error: string },
) => void;

export function attachTerminalRelay(socket: Socket, user: TSessionUser): void {
  const subs = new Map<string, TSub>();
  const as = actAs(user);
  const fail = (ack: unknown, error: string) => typeof ack === "function" && (ack as TAck)({ ok: false, error });
  const errorText = (err: unknown) => (err instanceof AppError ? err.message : "The terminal request failed.");
  const emitOutput = (m: TTerminalOutput) => socket.emit("terminal.output", m);
  const notice = (sessionId: string, text: string) => socket.emit("terminal.notice", { sessionId, text });
  const actor = { id: user.id, name: user.username, role: user.role };
  const who = `${user.displayName} (${ROLE_LABEL[user.role].toLowerCase()})`;
  /**
   * Every participant of the session (its holder's terminals and watchers, on every console
   * instance) learns who watches now, on every instance.
   */
  const sendPresence = (sessionId: string) => {
    const emit = (watchers: TPresence[]) => socket.nsp.to(roomForSession(sessionId)).emit("terminal.presence", { sessionId, watchers } satisfies TTerminalPresence);
    if (!cluster()) return void emit(presenceOf(sessionId));
    void syncPresence(sessionId)
      .then(() => presenceAcross(sessionId))
      .then(emit)
      .catch((err) => logger.warn({ err: (err as Error).message, sessionId }, "presence not sent"));
  };
  /** The session page's timeline shows watch events: its viewers refetch it. */
  const touchTimeline = (sessionId: string, holderId: string | null, ownerId: string) =>
    publish({ type: "session.updated", id: sessionId }, { roles: ["manager", "helpdesk", "admin"], users: [ownerId, ...(holderId ? [holderId] : [])] });

  /** Sends retained output from the sub's cursor up to the agent's end, then the frames that waited. */
  async function catchUp(sessionId: string, sub: TSub, link: ComputerLink, opts: { fresh: boolean }): Promise<void> {
    sub.live = false;
    const from = sub.cursor;
    const pieces: Buffer[] = [];
    let start = -1;
    let droppedBytes = 0;
    for (;;) {
      const r = await link.request(as, (c) => c.readOutput(as, sub.instanceId, sub.cursor, TERMINAL_CHUNK_BYTES));
      link.recordOutputAt(sub.instanceId, r.offset, r.output);
      if (start < 0) {
        start = r.offset;
        droppedBytes = r.droppedBytes;
      }
      pieces.push(r.output);
      sub.cursor = r.offset + r.output.length;
      if (sub.cursor >= r.end || r.outputBytes === 0) break;
    }
    let offset = start;
    let data = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
    if (opts.fresh) {
      // A fresh terminal whose window starts mid-stream begins at a line, not inside an escape
      // sequence; and it gets no more lines than its scrollback keeps (the rest would scroll away).
      if (offset > 0) ({ offset, data } = startAtLine(offset, data));
      const kept = lastLines(data, TERMINAL_SCROLLBACK_LINES);
      if (kept > 0) {
        notice(sessionId, `${(offset + kept - from).toLocaleString("en-US")} bytes of earlier output beyond the terminal's ${TERMINAL_SCROLLBACK_LINES.toLocaleString("en-US")}-line scrollback: not shown (Receive and the transcript have them)`);
        offset += kept;
        data = data.subarray(kept);
      }
    }
    if (!opts.fresh || offset === start) {
      const gap = describeGap({ from, offset, droppedBytes, fresh: opts.fresh });
      if (gap) notice(sessionId, gap);
    }
    for (let i = 0; i < data.length; i += TERMINAL_CHUNK_BYTES) emitOutput({ sessionId, offset: offset + i, data: data.subarray(i, i + TERMINAL_CHUNK_BYTES) });
    const waiting = sub.queue;
    sub.queue = [];
    sub.live = true;
    for (const f of waiting) forwardFrame(sessionId, sub, link, f);
  }

  /**
   * A terminal's relay record, its live frames subscribed (before any replay is read) and
   * registered under the session. `off` stops the frames; a watcher's also ends its agent watch.
   */
  function subscribe(
    sessionId: string,
    link: ComputerLink,
    record: { instanceId: string; computerId: string },
    opts: { mode: TSub["mode"]; target: TSub["target"]; cursor: number },
  ): { sub: TSub; onOutput: (frame: TOutputFrame) => void } {
    const sub: TSub = {
      mode: opts.mode,
      target: opts.target,
      refusedAudited: false,
      instanceId: record.instanceId,
      computerId: record.computerId,
      cursor: opts.cursor,
      live: false,
      queue: [],
      off: () => {},
      chain: Promise.resolve(),
      ackTo: 0,
      ackSent: 0,
      ackTimer: null,
    };
    const onOutput = (frame: TOutputFrame) => {
      if (frame.instanceId === record.instanceId) forwardFrame(sessionId, sub, link, frame);
    };
    link.on("output", onOutput);
    sub.off = () => link.off("output", onOutput);
    subs.set(sessionId, sub);
    return { sub, onOutput };
  }

  function forwardFrame(sessionId: string, sub: TSub, link: ComputerLink, f: TOutputFrame): void {
    if (!sub.live) return void sub.queue.push(f);
    const end = f.offset + f.data.length;
    if (end <= sub.cursor) return;
    if (f.offset > sub.cursor) {
      // Bytes went by that this relay never saw (a stream reconnect): fetch them from the agent first.
      sub.queue.push(f);
      sub.chain = sub.chain.then(() => catchUp(sessionId, sub, link, { fresh: false })).catch((err) => closeSub(sessionId, errorText(err)));
      sub.live = false;
      return;
    }
    emitOutput({ sessionId, offset: sub.cursor, data: f.data.subarray(sub.cursor - f.offset) });
    sub.cursor = end;
  }

  function closeSub(sessionId: string, reason: string): void {
    const sub = subs.get(sessionId);
    if (!sub) return;
    dropSub(sessionId, sub, reason);
    socket.emit("terminal.closed", { sessionId, reason });
  }

  /** Ends a terminal of this socket: a holder's leaves the session's room, a watcher's also stops watching (audited). */
  function dropSub(sessionId: string, sub: TSub, why: string): void {
    release(sub);
    if (subs.get(sessionId) === sub) subs.delete(sessionId);
    if (sub.mode === "hold") return void socket.leave(roomForSession(sessionId));
    if (sub.mode === "joined") {
      // The agent stops taking this user's keystrokes (a no-op if the session moved on already).
      const link = fleet().link(sub.computerId);
      void link.request(as, (c) => c.leave(as, sub.instanceId, user.id)).catch(() => {});
      void appendAuditEvent({ actor, action: "session.join.ended", outcome: "ok", ...sub.target, params: { reason: why } }).catch(() => {});
    }
    if (!removeWatcher(sessionId, socket.id)) return;
    void socket.leave(roomForSession(sessionId));
    sendPresence(sessionId);
    void appendAuditEvent({ actor, action: "session.watch.stopped", outcome: "ok", ...sub.target, params: { reason: why } })
      .then(() => db.session.findUnique({ where: { id: sessionId }, select: { holderId: true, ownerId: true } }))
      .then((r) => r && touchTimeline(sessionId, r.holderId, r.ownerId))
      .catch((err) => logger.error({ err, sessionId }, "watch stop not recorded"));
  }

  socket.on("terminal.attach", async (raw: unknown, ack: unknown) => {
    const parsed = ZAttach.safeParse(raw);
    if (!parsed.success) return fail(ack, "Malformed terminal request.");
    const { sessionId } = parsed.data;
    const from = parsed.data.from ?? null;
    try {
      const record = await db.session.findFirst({
        where: { AND: [{ id: sessionId }, visibleSessionsWhere(user)] },
        select: { instanceId: true, computerId: true, state: true, holderId: true, holderName: true, name: true, computer: { select: { name: true } } },
      });
      if (!record) return fail(ack, "No such session.");
      if (record.state !== "Opened" || record.holderId !== user.id) {
        return fail(ack, record.state === "Opened" ? `${record.name} is attached to ${record.holderName ?? "someone else"}.` : `${record.name} is ${record.state}; connect to it first.`);
      }
      const old = subs.get(sessionId);
      if (old) dropSub(sessionId, old, "the holder attached");
      const link = fleet().link(record.computerId);
      // Several console instances: the session may have been opened through another instance's
      // stream, and its agent sends live output to the one stream it is attached through. The
      // holder's terminal is here now, so the session moves to this instance's stream (a no-op
      // for the agent's state: it stays Opened and attached to the holder).
      if (cluster()) await link.request(as, (c, streamId) => c.connect(as, record.instanceId, { streamId: streamId ?? undefined }));
      // Subscribed before the replay is read, so no live frame falls between the two.
      const { sub } = subscribe(sessionId, link, record, { mode: "hold", target: { sessionId, sessionName: record.name, computerName: record.computer.name }, cursor: from ?? 0 });
      const start = sub.cursor;
      // The terminal's size and the replay are asked for at once: attaching costs one round trip.
      const viewing = link.request(as, (c) => c.getSession(as, record.instanceId));
      const done = catchUp(sessionId, sub, link, { fresh: from === null });
      sub.chain = done.catch(() => {});
      const [view] = await Promise.all([viewing, done]);
      await socket.join(roomForSession(sessionId));
      if (typeof ack === "function") (ack as TAck)({ ok: true, cols: view.cols, rows: view.rows, from: start, end: sub.cursor, watchers: await presenceAcross(sessionId) });
      // A full-screen program draws its whole screen again for the terminal that just arrived.
      sub.chain = sub.chain.then(() => link.request(as, (c) => c.redraw(as, record.instanceId))).catch(() => {});
    } catch (err) {
      subs.get(sessionId)?.off();
      subs.delete(sessionId);
      fail(ack, errorText(err));
    }
  });

  socket.on("terminal.watch", async (raw: unknown, ack: unknown) => {
    const parsed = ZWatch.safeParse(raw);
    if (!parsed.success) return fail(ack, "Malformed terminal request.");
    const { sessionId } = parsed.data;
    try {
      const record = await db.session.findFirst({
        where: { AND: [{ id: sessionId }, visibleSessionsWhere(user)] },
        select: {
          instanceId: true,
          computerId: true,
          state: true,
          holderId: true,
          holderName: true,
          ownerId: true,
          ownerName: true,
          askBeforeWatching: true,
          name: true,
          computer: { select: { name: true } },
        },
      });
      if (!record) return fail(ack, "No such session.");
      const target = { sessionId, sessionName: record.name, computerName: record.computer.name };
      const refuse = (error: string) => {
        fail(ack, error);
        void appendAuditEvent({ actor, action: "session.watch.started", outcome: "refused", ...target, error }).catch(() => {});
      };
      if (!WATCH_ROLES.includes(user.role)) return refuse("Only help desk, managers and admins may watch a session.");
      if (record.state !== "Opened" && record.state !== "Disconnected") return refuse(`${record.name} is ${record.state}; there is nothing live to watch.`);
      if (record.state === "Opened" && record.holderId === user.id) return refuse(`You hold ${record.name}: its terminal is yours already.`);
      const max = env().BATON_MAX_WATCHERS_PER_SESSION;
      if ((await watcherCountAcross(sessionId, socket.id)) >= max) return refuse(`${record.name} already has ${max} watchers, the most allowed at once.`);
      const old = subs.get(sessionId);
      if (old) dropSub(sessionId, old, "watching again");
      // "No watching without asking": the holder answers first; nobody attached, nobody to ask.
      if (record.askBeforeWatching && record.ownerId !== user.id) {
        if (record.state !== "Opened" || !record.holderId) {
          return refuse(`${record.ownerName} chose no watching without asking for ${record.name}, and nobody is attached to it to ask. Ask them to connect first.`);
        }
        const answer = await askToWatch(sessionId, target, record.holderName ?? "its holder");
        if (!answer.accepted) {
          if (answer.byHolder) return void fail(ack, answer.why);
          return refuse(answer.why);
        }
      }
      const link = fleet().link(record.computerId);
      const { sub, onOutput } = subscribe(sessionId, link, record, { mode: "watch", target, cursor: 0 });
      try {
        await link.watch(as, record.instanceId);
      } catch (err) {
        link.off("output", onOutput);
        if (subs.get(sessionId) === sub) subs.delete(sessionId);
        throw err;
      }
      sub.off = () => {
        link.off("output", onOutput);
        link.unwatch(record.instanceId);
      };
      addWatcher(sessionId, {
        socketId: socket.id,
        userId: user.id,
        username: user.username,
        name: who,
        role: user.role,
        since: new Date(),
        state: "watching",
        end: (reason) => closeSub(sessionId, reason),
        grant: () => {
          if (subs.get(sessionId) !== sub) return;
          sub.mode = "joined";
          socket.emit("terminal.joined", { sessionId });
        },
        tell: (text) => notice(sessionId, text),
      });
      const view = await link.request(as, (c) => c.getSession(as, record.instanceId));
      // No redraw for a watcher: a read-only look must not make the holder's program repaint.
      const done = catchUp(sessionId, sub, link, { fresh: true });
      sub.chain = done.catch(() => {});
      await done;
      await socket.join(roomForSession(sessionId));
      await appendAuditEvent({ actor, action: "session.watch.started", outcome: "ok", ...target, params: { state: record.state } });
      touchTimeline(sessionId, record.holderId, record.ownerId);
      sendPresence(sessionId);
      if (typeof ack === "function") (ack as TAck)({ ok: true, cols: view.cols, rows: view.rows, from: 0, end: sub.cursor, watchers: await presenceAcross(sessionId) });
    } catch (err) {
      const sub = subs.get(sessionId);
      if (sub?.mode === "watch") dropSub(sessionId, sub, "the watch failed to start");
      fail(ack, errorText(err));
    }
  });

  /**
   * Puts this socket in the session's presence as asking to watch and waits for the holder's
   * answer (join-answer), a timeout, the holder ending it, or this socket leaving.
   */
  function askToWatch(sessionId: string, target: TSub["target"], holderName: string): Promise<TWatchAnswer> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (answer: TWatchAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off("disconnect", onGone);
        if (removeWatcher(sessionId, socket.id)) sendPresence(sessionId);
        resolve(answer);
      };
      const timer = setTimeout(
        () => settle({ accepted: false, why: `${holderName} did not answer your request to watch ${target.sessionName} within ${WATCH_ASK_TIMEOUT_MS / 60_000} minutes.`, byHolder: false }),
        WATCH_ASK_TIMEOUT_MS,
      );
      const onGone = () => settle({ accepted: false, why: "the watcher left before the holder answered", byHolder: false });
      socket.once("disconnect", onGone);
      addWatcher(sessionId, {
        socketId: socket.id,
        userId: user.id,
        username: user.username,
        name: who,
        role: user.role,
        since: new Date(),
        state: "waiting",
        end: (reason) => settle({ accepted: false, why: reason, byHolder: true }),
        grant: () => {},
        tell: () => {},
        admit: (accept) =>
          settle(accept ? { accepted: true } : { accepted: false, why: `${holderName} refused your request to watch ${target.sessionName}.`, byHolder: true }),
      });
      socket.emit("terminal.waiting", { sessionId, text: `Asking ${holderName} to let you watch ${target.sessionName}…` } satisfies TTerminalWaiting);
      sendPresence(sessionId);
      void appendAuditEvent({ actor, action: "session.watch.requested", outcome: "ok", ...target }).catch((err) => logger.error({ err, sessionId }, "watch request not recorded"));
    });
  }

  // The holder ends someone's watch: every terminal that user watches the session with closes.
  socket.on("terminal.end-watch", async (raw: unknown, ack: unknown) => {
    const p = ZEndWatch.safeParse(raw);
    if (!p.success) return fail(ack, "Malformed terminal request.");
    const { sessionId, userId } = p.data;
    const sub = subs.get(sessionId);
    try {
      const record = await db.session.findUnique({ where: { id: sessionId }, select: { state: true, holderId: true } });
      if (sub?.mode !== "hold" || record?.state !== "Opened" || record.holderId !== user.id) return fail(ack, "Only the session's holder may end a watch.");
      const ended = watchersOf(sessionId).filter((w) => w.userId === userId);
      if (!ended.length) return fail(ack, "That user is not watching this session.");
      const wasJoined = ended.some((w) => w.state === "joined");
      for (const w of ended) w.end(`${who} ended your ${w.state === "joined" ? "join" : "watch"} of ${sub.target.sessionName}`);
      await appendAuditEvent({ actor, action: "session.watch.ended", outcome: "ok", ...sub.target, params: { watcher: ended[0].name, watcherId: userId, joined: wasJoined } });
      if (typeof ack === "function") (ack as (r: { ok: true }) => void)({ ok: true });
    } catch (err) {
      fail(ack, errorText(err));
    }
  });

  // A watching manager or admin asks the holder to let them type.
  socket.on("terminal.join-request", async (raw: unknown, ack: unknown) => {
    const p = ZJoinRequest.safeParse(raw);
    if (!p.success) {
      // A reason the holder would be shown is refused by name; nothing is asked.
      const bad = p.error.issues.find((i) => i.path[0] === "reason");
      return fail(ack, bad ? `Reason: ${bad.message}. Nothing was sent to the holder.` : "Malformed terminal request.");
    }
    const { sessionId } = p.data;
    const reason = p.data.reason || undefined;
    const sub = subs.get(sessionId);
    const entry = watchersOf(sessionId).find((w) => w.socketId === socket.id);
    try {
      if (!sub || sub.mode !== "watch" || !entry) return fail(ack, "Watch the session first, then ask to join.");
      const refuse = (error: string) => {
        fail(ack, error);
        void appendAuditEvent({ actor, action: "session.join.requested", outcome: "refused", ...sub.target, params: reason ? { reason } : undefined, error }).catch(() => {});
      };
      if (!JOIN_ROLES.includes(user.role)) return refuse("Only managers and admins may ask to join a session.");
      const record = await db.session.findUnique({ where: { id: sessionId }, select: { state: true, holderId: true } });
      if (record?.state !== "Opened" || !record.holderId) return refuse(`${sub.target.sessionName} is not attached to anyone: there is nobody to type alongside.`);
      entry.state = "asking";
      entry.joinReason = reason;
      await appendAuditEvent({ actor, action: "session.join.requested", outcome: "ok", ...sub.target, params: reason ? { reason } : undefined });
      sendPresence(sessionId);
      if (typeof ack === "function") (ack as (r: { ok: true }) => void)({ ok: true });
    } catch (err) {
      fail(ack, errorText(err));
    }
  });

  // The holder answers a join request: accepted, the agent takes that user's keystrokes too.
  socket.on("terminal.join-answer", async (raw: unknown, ack: unknown) => {
    const p = ZJoinAnswer.safeParse(raw);
    if (!p.success) return fail(ack, "Malformed terminal request.");
    const { sessionId, userId, accept } = p.data;
    const sub = subs.get(sessionId);
    try {
      const record = await db.session.findUnique({ where: { id: sessionId }, select: { state: true, holderId: true } });
      if (sub?.mode !== "hold" || record?.state !== "Opened" || record.holderId !== user.id) return fail(ack, "Only the session's holder may answer a join request.");
      // A request to watch (the holder chose "no watching without asking").
      const waiting = watchersOf(sessionId).filter((w) => w.userId === userId && w.state === "waiting");
      if (waiting.length) {
        for (const w of waiting) w.admit?.(accept);
        await appendAuditEvent({
          actor,
          action: accept ? "session.watch.accepted" : "session.watch.refused",
          outcome: "ok",
          ...sub.target,
          params: { watcher: waiting[0].name, watcherId: userId },
        });
        if (typeof ack === "function") (ack as (r: { ok: true }) => void)({ ok: true });
        return;
      }
      const asking = watchersOf(sessionId).filter((w) => w.userId === userId && w.state === "asking");
      if (!asking.length) return fail(ack, "That user has not asked to join.");
      const params = { joiner: asking[0].name, joinerId: userId };
      if (accept) {
        await fleet()
          .link(sub.computerId)
          .request(as, (c) => c.join(as, sub.instanceId, { id: userId, name: asking[0].username }));
        for (const w of asking) {
          w.state = "joined";
          w.joinReason = undefined;
          w.grant();
        }
        await appendAuditEvent({ actor, action: "session.join.accepted", outcome: "ok", ...sub.target, params });
      } else {
        for (const w of asking) {
          w.state = "watching";
          w.joinReason = undefined;
          w.tell(`${who} refused your request to join; you are still watching.`);
        }
        await appendAuditEvent({ actor, action: "session.join.refused", outcome: "ok", ...sub.target, params });
      }
      sendPresence(sessionId);
      if (typeof ack === "function") (ack as (r: { ok: true }) => void)({ ok: true });
    } catch (err) {
      fail(ack, errorText(err));
    }
  });

  /**
   * A watcher's terminal sent a keystroke, resize or ack: refused whatever the browser sent, and
   * nothing reaches the agent. The first refusal per watch is audited, the rest are logged.
   */
  const refuseFromWatcher = (sessionId: string, sub: TSub, what: "input" | "resize" | "ack"): void => {
    logger.info({ userId: user.id, sessionId, what }, "watcher's terminal message refused");
    const verb = what === "input" ? "typing" : what === "resize" ? "resizing" : "acknowledging output";
    const text = sub.mode === "joined" ? `Only the holder of ${sub.target.sessionName} may do that: ${verb} is refused.` : `You are watching ${sub.target.sessionName} read-only: ${verb} is refused.`;
    socket.emit("terminal.refused", { sessionId, text });
    if (sub.refusedAudited) return;
    sub.refusedAudited = true;
    void appendAuditEvent({ actor, action: "session.watch.input-refused", outcome: "refused", ...sub.target, params: { message: what } }).catch(() => {});
  };

  const forward = (sessionId: string, work: (sub: TSub) => Promise<unknown>) => {
    const sub = subs.get(sessionId);
    if (!sub) return socket.emit("terminal.closed", { sessionId, reason: "not attached" });
    if (sub.mode === "watch") return;
    sub.chain = sub.chain.then(() => work(sub)).catch((err) => socket.emit("terminal.closed", { sessionId, reason: errorText(err) }));
  };
  const link = (sub: TSub) => fleet().link(sub.computerId);

  socket.on("terminal.input", (raw: unknown) => {
    const p = ZInput.safeParse(raw);
    if (!p.success) return;
    const sub = subs.get(p.data.sessionId);
    if (sub?.mode === "watch") return refuseFromWatcher(p.data.sessionId, sub, "input");
    // A joined terminal types as its own user; the agent checks the holder let them.
    forward(p.data.sessionId, (sub) => link(sub).request(as, (c) => c.input(as, sub.instanceId, p.data.data)));
  });

  socket.on("terminal.resize", (raw: unknown) => {
    const p = ZResize.safeParse(raw);
    if (!p.success) return;
    const watching = subs.get(p.data.sessionId);
    if (watching && watching.mode !== "hold") return refuseFromWatcher(p.data.sessionId, watching, "resize");
    const { cols, rows } = p.data;
    forward(p.data.sessionId, (sub) => link(sub).request(as, (c) => c.resize(as, sub.instanceId, { cols, rows })));
  });

  // The terminal showed every byte before `offset`: the holder's cursor on the agent moves.
  socket.on("terminal.ack", (raw: unknown) => {
    const p = ZAck.safeParse(raw);
    if (!p.success) return;
    const sub = subs.get(p.data.sessionId);
    if (!sub) return;
    if (sub.mode !== "hold") return refuseFromWatcher(p.data.sessionId, sub, "ack");
    // Only what this relay sent can have been shown.
    sub.ackTo = Math.max(sub.ackTo, Math.min(p.data.offset, sub.cursor));
    if (sub.ackTimer || sub.ackTo <= sub.ackSent) return;
    sub.ackTimer = setTimeout(() => {
      sub.ackTimer = null;
      const offset = sub.ackTo;
      if (offset <= sub.ackSent) return;
      sub.ackSent = offset;
      sub.chain = sub.chain.then(() => link(sub).request(as, (c) => c.ack(as, sub.instanceId, offset))).catch(() => {});
    }, ACK_INTERVAL_MS);
  });

  /** Stops relaying; an ack still waiting for its interval goes out now, so nothing shown is lost. */
  const release = (sub: TSub) => {
    sub.off();
    if (sub.ackTimer) clearTimeout(sub.ackTimer);
    sub.ackTimer = null;
    const offset = sub.ackTo;
    if (offset > sub.ackSent) {
      sub.ackSent = offset;
      sub.chain = sub.chain.then(() => link(sub).request(as, (c) => c.ack(as, sub.instanceId, offset))).catch(() => {});
    }
  };

  // A client that asks (an ack callback) is answered once the last ack reached the agent, so a
  // Receive right after leaving does not return what the terminal already showed.
  socket.on("terminal.detach", (raw: unknown, ack: unknown) => {
    const p = ZDetach.safeParse(raw);
    if (!p.success) return fail(ack, "Malformed terminal request.");
    const sub = subs.get(p.data.sessionId);
    if (sub) dropSub(p.data.sessionId, sub, "closed the terminal");
    if (typeof ack === "function") void (sub?.chain ?? Promise.resolve()).then(() => (ack as (r: { ok: true }) => void)({ ok: true }));
  });

  socket.on("disconnect", () => {
    for (const [sessionId, s] of [...subs]) dropSub(sessionId, s, "left the page");
    subs.clear();
  });
}
