import type { Socket } from "socket.io";
import { z } from "zod";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { AppError } from "@/lib/errors";
import { fleet } from "@/lib/fleet/fleet";
import type { TOutputFrame } from "@/lib/protocol";
import { actAs } from "@/lib/fleet/act-as";

// A browser terminal for a session the user is attached to: output frames from the agent's
// stream go to that user's socket; keystrokes and resizes go to the agent as that user.
const ZAttach = z.object({ sessionId: z.string().regex(/^[a-z0-9]{20,40}$/) });
const ZInput = ZAttach.extend({ data: z.string().min(1).max(16 * 1024) });
const ZResize = ZAttach.extend({ cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) });

// `chain`: keystrokes and resizes go to the agent one after another, in the order typed.
type TSub = { instanceId: string; computerId: string; off: () => void; chain: Promise<unknown> };
type TAck = (r: { ok: true; cols?: number; rows?: number } | { ok: false; error: string }) => void;

export function attachTerminalRelay(socket: Socket, user: TSessionUser): void {
  const subs = new Map<string, TSub>();
  const fail = (ack: unknown, error: string) => typeof ack === "function" && (ack as TAck)({ ok: false, error });
  const errorText = (err: unknown) => (err instanceof AppError ? err.message : "The terminal request failed.");

  socket.on("terminal.attach", async (raw: unknown, ack: unknown) => {
    const parsed = ZAttach.safeParse(raw);
    if (!parsed.success) return fail(ack, "Malformed terminal request.");
    const { sessionId } = parsed.data;
    try {
      const record = await db.session.findFirst({
        where: { AND: [{ id: sessionId }, visibleSessionsWhere(user)] },
        select: { instanceId: true, computerId: true, state: true, holderId: true, holderName: true, name: true },
      });
      if (!record) return fail(ack, "No such session.");
      if (record.state !== "Opened" || record.holderId !== user.id) {
        return fail(ack, record.state === "Opened" ? `${record.name} is attached to ${record.holderName ?? "someone else"}.` : `${record.name} is ${record.state}; connect to it first.`);
      }
      subs.get(sessionId)?.off();
      const link = fleet().link(record.computerId);
      const onOutput = (frame: TOutputFrame) => {
        if (frame.instanceId === record.instanceId) socket.emit("terminal.output", { sessionId, data: frame.data });
      };
      link.on("output", onOutput);
      subs.set(sessionId, { instanceId: record.instanceId, computerId: record.computerId, off: () => link.off("output", onOutput), chain: Promise.resolve() });
      const view = await link.request(actAs(user), (c) => c.getSession(actAs(user), record.instanceId));
      if (typeof ack === "function") (ack as TAck)({ ok: true, cols: view.cols, rows: view.rows });
    } catch (err) {
      fail(ack, errorText(err));
    }
  });

  const forward = (sessionId: string, work: (sub: TSub) => Promise<unknown>) => {
    const sub = subs.get(sessionId);
    if (!sub) return socket.emit("terminal.closed", { sessionId, reason: "not attached" });
    sub.chain = sub.chain.then(() => work(sub)).catch((err) => socket.emit("terminal.closed", { sessionId, reason: errorText(err) }));
  };

  socket.on("terminal.input", (raw: unknown) => {
    const p = ZInput.safeParse(raw);
    if (!p.success) return;
    void forward(p.data.sessionId, (sub) => fleet().link(sub.computerId).request(actAs(user), (c) => c.input(actAs(user), sub.instanceId, p.data.data)));
  });

  socket.on("terminal.resize", (raw: unknown) => {
    const p = ZResize.safeParse(raw);
    if (!p.success) return;
    const { cols, rows } = p.data;
    void forward(p.data.sessionId, (sub) => fleet().link(sub.computerId).request(actAs(user), (c) => c.resize(actAs(user), sub.instanceId, { cols, rows })));
  });

  socket.on("terminal.detach", (raw: unknown) => {
    const p = ZAttach.safeParse(raw);
    if (!p.success) return;
    subs.get(p.data.sessionId)?.off();
    subs.delete(p.data.sessionId);
  });

  socket.on("disconnect", () => {
    for (const s of subs.values()) s.off();
    subs.clear();
  });
}
