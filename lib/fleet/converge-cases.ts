import { expect, it } from "vitest";
import { alice, type RunningAgent } from "@/lib/agent/test/helpers";
import type { AgentStream } from "@/lib/fleet/agent-client";
import type { Db } from "@/lib/db/client";
import type { TSessionSnapshot, TStreamServerMessage } from "@/lib/protocol";

// The create race, shared by the SQLite and PostgreSQL suites: a real agent creates a session;
// its "created" event and the action's answer (two snapshots of the same session, the answer
// the later one) are applied to the store in every order. One row, the answer's state, one
// "created" history line, and no error, whichever comes first.

export type TConvergeContext = {
  db: Db;
  ingest: typeof import("@/lib/fleet/ingest");
  agent: RunningAgent;
  stream: AgentStream;
  computerId: string;
};

type TSessionUpdated = Extract<TStreamServerMessage, { type: "session.updated" }>;

/** Creates a session on the agent; returns its "created" event (as the stream carried it) and the action's answer. */
export async function createdPair(c: TConvergeContext, name: string): Promise<{ event: TSessionUpdated; answer: TSessionSnapshot }> {
  const event = new Promise<TSessionUpdated>((resolve) => {
    const on = (m: TStreamServerMessage) => {
      if (m.type !== "session.updated" || m.change !== "created" || m.session.name !== name) return;
      c.stream.off("message", on);
      resolve(m);
    };
    c.stream.on("message", on);
  });
  const answer = await c.agent.client.newSession(alice, { name, configurationName: "Microsoft.PowerShell" });
  return { event: await event, answer };
}

export const eventItem = (c: TConvergeContext, e: TSessionUpdated) => ({ computerId: c.computerId, snapshot: e.session, change: e.change, reason: e.reason, at: new Date(e.at) });
export const answerItem = (c: TConvergeContext, answer: TSessionSnapshot) => ({ computerId: c.computerId, snapshot: answer });

/** One row with the answer's (newer) state and version, and exactly one "created" line at the agent's time. */
export async function expectConverged(c: TConvergeContext, event: TSessionUpdated, answer: TSessionSnapshot): Promise<void> {
  const rows = await c.db.session.findMany({ where: { instanceId: answer.instanceId }, include: { events: true } });
  expect(rows).toHaveLength(1);
  const [row] = rows;
  expect(answer.version).toBeGreaterThan(event.session.version!);
  expect(row).toMatchObject({ state: "Opened", holderId: alice.id, version: answer.version, agentSessionId: answer.id, computerId: c.computerId });
  expect(row.events.filter((e) => e.change === "created")).toEqual([expect.objectContaining({ at: new Date(event.at), state: event.session.state })]);
}

export function createRaceCases(ctx: () => TConvergeContext): void {
  it("converges when the agent's event is written before the action's answer", async () => {
    const c = ctx();
    const { event, answer } = await createdPair(c, "race-event-first");
    await c.ingest.ingestSession(eventItem(c, event));
    await c.ingest.ingestSession(answerItem(c, answer));
    await expectConverged(c, event, answer);
  });

  it("converges when the agent's event is written after the action's answer, without overwriting it", async () => {
    const c = ctx();
    const { event, answer } = await createdPair(c, "race-answer-first");
    await c.ingest.ingestSession(answerItem(c, answer));
    await c.ingest.ingestSession(eventItem(c, event));
    await expectConverged(c, event, answer);
  });

  it("converges when both are written at once, several times over", async () => {
    const c = ctx();
    const { event, answer } = await createdPair(c, "race-together");
    const writes = [eventItem(c, event), answerItem(c, answer), eventItem(c, event), answerItem(c, answer)];
    await Promise.all(writes.map((w) => c.ingest.ingestSession(w)));
    await expectConverged(c, event, answer);
    // The same event applied again (a retry) adds no second "created" line.
    await c.ingest.ingestSession(eventItem(c, event));
    await expectConverged(c, event, answer);
  });

  it("never lets an older snapshot overwrite a newer one, alone or in a batch", async () => {
    const c = ctx();
    const { event, answer } = await createdPair(c, "race-stale");
    await c.ingest.ingestSession(answerItem(c, answer));
    const later = await c.agent.client.disconnect(alice, answer.id, {});
    expect(later.version).toBeGreaterThan(answer.version!);
    await c.ingest.ingestSession(answerItem(c, later));
    await c.ingest.ingestSession(answerItem(c, answer));
    await c.ingest.ingestSessions([eventItem(c, event), answerItem(c, answer)]);
    const row = await c.db.session.findUniqueOrThrow({ where: { instanceId: answer.instanceId } });
    expect(row).toMatchObject({ state: "Disconnected", holderId: null, version: later.version });
    expect(row.expiresOn?.toISOString()).toBe(later.expiresOn);
  });
}

/** The next event of `change` for the session named `name`, as the stream carries it. */
function nextEvent(c: TConvergeContext, name: string, change: string): Promise<TSessionUpdated> {
  return c.stream.waitFor((m) => m.type === "session.updated" && m.change === change && m.session.name === name) as Promise<TSessionUpdated>;
}

// A retried agent event, shared by the SQLite and PostgreSQL suites. The console's pump writes
// an event again when the store failed to answer, and a COMMIT that landed just as the
// connection broke fails at the client although it was applied (the ambiguous commit): the
// retry meets its own history line and must not write it twice. Ingesting the same event twice
// is that retry, made without the race that causes it in production.
export function replayCases(ctx: () => TConvergeContext): void {
  it("writes a change once when it is written again after a commit whose answer was lost, by either path", async () => {
    const c = ctx();
    const { event: created, answer } = await createdPair(c, "replay-once");
    await c.ingest.ingestSession(eventItem(c, created));
    const disconnectedEvent = nextEvent(c, "replay-once", "disconnected");
    await c.agent.client.disconnect(alice, answer.id, {});
    const disconnected = await disconnectedEvent;

    // The first attempt was rolled back (the store failed before its COMMIT): nothing of it stays.
    await c.db
      .$transaction(async (tx) => {
        const { event: line } = await c.ingest.writeRow(tx, eventItem(c, disconnected));
        await tx.sessionEvent.create({ data: line! });
        throw new Error("the connection broke before COMMIT");
      })
      .catch(() => undefined);
    const lines = async () => (await c.db.sessionEvent.findMany({ where: { session: { instanceId: answer.instanceId } }, orderBy: { id: "asc" } })).map((e) => ({ change: e.change, agentVersion: e.agentVersion }));
    expect(await lines()).toEqual([{ change: "created", agentVersion: created.session.version }]);

    // The retry commits; the pump heard a failure and writes it again, as a burst and alone.
    await c.ingest.ingestSessions([eventItem(c, disconnected)]);
    await c.ingest.ingestSessions([eventItem(c, disconnected)]);
    await c.ingest.ingestSession(eventItem(c, disconnected));
    const once = [
      { change: "created", agentVersion: created.session.version },
      { change: "disconnected", agentVersion: disconnected.session.version },
    ];
    expect(await lines()).toEqual(once);

    // A later change has its own version and its own line, also in a burst with the replayed one;
    // the older snapshot replayed after it leaves the row alone.
    const connectedEvent = nextEvent(c, "replay-once", "connected");
    await c.agent.client.connect(alice, answer.id);
    const connected = await connectedEvent;
    await c.ingest.ingestSessions([eventItem(c, disconnected), eventItem(c, connected)]);
    await c.ingest.ingestSessions([eventItem(c, disconnected), eventItem(c, connected)]);
    expect(await lines()).toEqual([...once, { change: "connected", agentVersion: connected.session.version }]);
    const row = await c.db.session.findUniqueOrThrow({ where: { instanceId: answer.instanceId } });
    expect(row).toMatchObject({ state: "Opened", holderId: alice.id, version: connected.session.version });
  });

  it("keeps every line of an agent without versions, and a line older than the row", async () => {
    const c = ctx();
    const { event: created, answer } = await createdPair(c, "replay-unversioned");
    await c.ingest.ingestSession(eventItem(c, created));
    const disconnectedEvent = nextEvent(c, "replay-unversioned", "disconnected");
    const later = await c.agent.client.disconnect(alice, answer.id, {});
    const disconnected = await disconnectedEvent;
    // The action's answer (newer than the event) is written first: the row is the answer's, the
    // event's change still keeps its line; an answer itself writes no line.
    await c.ingest.ingestSession(answerItem(c, later));
    await c.ingest.ingestSession(eventItem(c, disconnected));
    expect(later.version).toBeGreaterThan(disconnected.session.version!);
    expect((await c.db.session.findUniqueOrThrow({ where: { instanceId: answer.instanceId } })).version).toBe(later.version);
    // An agent that predates versions: its lines cannot be told from a replay, and all stay (as before versions).
    const unversioned = { ...disconnected.session, version: undefined };
    await c.ingest.ingestSessions([{ ...eventItem(c, disconnected), snapshot: unversioned }]);
    await c.ingest.ingestSessions([{ ...eventItem(c, disconnected), snapshot: unversioned }]);
    const events = await c.db.sessionEvent.findMany({ where: { session: { instanceId: answer.instanceId } }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.change, e.agentVersion])).toEqual([
      ["created", created.session.version],
      ["disconnected", disconnected.session.version],
      ["disconnected", null],
      ["disconnected", null],
    ]);
  });
}
