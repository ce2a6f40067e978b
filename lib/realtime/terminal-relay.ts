import type { Socket } from "socket.io";
import { z } from "zod";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { AppError } from "@/lib/errors";
import { actAs } from "@/lib/fleet/act-as";
import type { ComputerLink } from "@/lib/fleet/computer-link";
import { fleet } from "@/lib/fleet/fleet";
import { describeGap, startAtLine, TERMINAL_CHUNK_BYTES, type TTerminalOutput } from "@/lib/realtime/terminal-protocol";
import type { TOutputFrame } from "@/lib/protocol";

// A browser terminal for a session the user is attached to. The session's output is one byte
// stream by offset, retained on the agent: a terminal that attaches gets the retained window
// (or, reattaching after a blip, everything after its own cursor), then live frames from the
// agent's stream, each byte once and in order. What the terminal has shown it acks, which is
// the holder's cursor on the agent (Receive returns only the rest). Keystrokes and resizes go
// to the agent as this user.
const ZSessionId = z.string().regex(/^[a-z0-9]{20,40}$/);
const ZAttach = z.strictObject({ sessionId: ZSessionId, from: z.number().int().nonnegative().nullable().optional() });
const ZDetach = z.strictObject({ sessionId: ZSessionId });
const ZInput = z.strictObject({ sessionId: ZSessionId, data: z.string().min(1).max(16 * 1024) });
const ZResize = z.strictObject({ sessionId: ZSessionId, cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) });
const ZAck = z.strictObject({ sessionId: ZSessionId, offset: z.number().int().nonnegative() });

/** Acks reach the agent at most this often per terminal (the newest offset wins). */
const ACK_INTERVAL_MS = 100;

type TSub = {
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
};
type TAck = (r: { ok: true; cols?: number; rows?: number; from: number; end: number } | { ok: false; error: string }) => void;

export function attachTerminalRelay(socket: Socket, user: TSessionUser): void {
  const subs = new Map<string, TSub>();
  const as = actAs(user);
  const fail = (ack: unknown, error: string) => typeof ack === "function" && (ack as TAck)({ ok: false, error });
  const errorText = (err: unknown) => (err instanceof AppError ? err.message : "The terminal request failed.");
  const emitOutput = (m: TTerminalOutput) => socket.emit("terminal.output", m);
  const notice = (sessionId: string, text: string) => socket.emit("terminal.notice", { sessionId, text });

  /** Sends retained output from the sub's cursor up to the agent's end, then the frames that waited. */
  async function catchUp(sessionId: string, sub: TSub, link: ComputerLink, opts: { fresh: boolean }): Promise<void> {
    sub.live = false;
    let first = true;
    for (;;) {
      const r = await link.request(as, (c) => c.readOutput(as, sub.instanceId, sub.cursor, TERMINAL_CHUNK_BYTES));
      link.recordOutputAt(sub.instanceId, r.offset, r.output);
      let offset = r.offset;
      let data = r.output;
      if (first) {
        // A fresh terminal whose window starts mid-stream begins at a line, not inside an escape sequence.
        if (opts.fresh && offset > 0) ({ offset, data } = startAtLine(offset, data));
        const gap = describeGap({ from: sub.cursor, offset, droppedBytes: r.droppedBytes, fresh: opts.fresh });
        if (gap) notice(sessionId, gap);
        first = false;
      }
      if (data.length) emitOutput({ sessionId, offset, data });
      sub.cursor = offset + data.length;
      if (sub.cursor >= r.end || r.outputBytes === 0) break;
    }
    const waiting = sub.queue;
    sub.queue = [];
    sub.live = true;
    for (const f of waiting) forwardFrame(sessionId, sub, link, f);
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
    release(sub);
    subs.delete(sessionId);
    socket.emit("terminal.closed", { sessionId, reason });
  }

  socket.on("terminal.attach", async (raw: unknown, ack: unknown) => {
    const parsed = ZAttach.safeParse(raw);
    if (!parsed.success) return fail(ack, "Malformed terminal request.");
    const { sessionId } = parsed.data;
    const from = parsed.data.from ?? null;
    try {
      const record = await db.session.findFirst({
        where: { AND: [{ id: sessionId }, visibleSessionsWhere(user)] },
        select: { instanceId: true, computerId: true, state: true, holderId: true, holderName: true, name: true },
      });
      if (!record) return fail(ack, "No such session.");
      if (record.state !== "Opened" || record.holderId !== user.id) {
        return fail(ack, record.state === "Opened" ? `${record.name} is attached to ${record.holderName ?? "someone else"}.` : `${record.name} is ${record.state}; connect to it first.`);
      }
      const old = subs.get(sessionId);
      if (old) release(old);
      const link = fleet().link(record.computerId);
      const sub: TSub = {
        instanceId: record.instanceId,
        computerId: record.computerId,
        cursor: from ?? 0,
        live: false,
        queue: [],
        off: () => {},
        chain: Promise.resolve(),
        ackTo: 0,
        ackSent: 0,
        ackTimer: null,
      };
      // Subscribed before the replay is read, so no live frame falls between the two.
      const onOutput = (frame: TOutputFrame) => {
        if (frame.instanceId === record.instanceId) forwardFrame(sessionId, sub, link, frame);
      };
      link.on("output", onOutput);
      sub.off = () => link.off("output", onOutput);
      subs.set(sessionId, sub);
      const start = sub.cursor;
      // The terminal's size and the replay are asked for at once: attaching costs one round trip.
      const viewing = link.request(as, (c) => c.getSession(as, record.instanceId));
      const done = catchUp(sessionId, sub, link, { fresh: from === null });
      sub.chain = done.catch(() => {});
      const [view] = await Promise.all([viewing, done]);
      if (typeof ack === "function") (ack as TAck)({ ok: true, cols: view.cols, rows: view.rows, from: start, end: sub.cursor });
      // A full-screen program draws its whole screen again for the terminal that just arrived.
      sub.chain = sub.chain.then(() => link.request(as, (c) => c.redraw(as, record.instanceId))).catch(() => {});
    } catch (err) {
      subs.get(sessionId)?.off();
      subs.delete(sessionId);
      fail(ack, errorText(err));
    }
  });

  const forward = (sessionId: string, work: (sub: TSub) => Promise<unknown>) => {
    const sub = subs.get(sessionId);
    if (!sub) return socket.emit("terminal.closed", { sessionId, reason: "not attached" });
    sub.chain = sub.chain.then(() => work(sub)).catch((err) => socket.emit("terminal.closed", { sessionId, reason: errorText(err) }));
  };
  const link = (sub: TSub) => fleet().link(sub.computerId);

  socket.on("terminal.input", (raw: unknown) => {
    const p = ZInput.safeParse(raw);
    if (!p.success) return;
    forward(p.data.sessionId, (sub) => link(sub).request(as, (c) => c.input(as, sub.instanceId, p.data.data)));
  });

  socket.on("terminal.resize", (raw: unknown) => {
    const p = ZResize.safeParse(raw);
    if (!p.success) return;
    const { cols, rows } = p.data;
    forward(p.data.sessionId, (sub) => link(sub).request(as, (c) => c.resize(as, sub.instanceId, { cols, rows })));
  });

  // The terminal showed every byte before `offset`: the holder's cursor on the agent moves.
  socket.on("terminal.ack", (raw: unknown) => {
    const p = ZAck.safeParse(raw);
    if (!p.success) return;
    const sub = subs.get(p.data.sessionId);
    if (!sub) return;
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

  socket.on("terminal.detach", (raw: unknown) => {
    const p = ZDetach.safeParse(raw);
    if (!p.success) return;
    const sub = subs.get(p.data.sessionId);
    if (sub) release(sub);
    subs.delete(p.data.sessionId);
  });

  socket.on("disconnect", () => {
    for (const s of subs.values()) release(s);
    subs.clear();
  });
}
