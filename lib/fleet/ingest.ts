import type { TConfigurationView, TSessionChange, TSessionSnapshot } from "@/lib/protocol";
import { db, sqlPlaceholders, type Db } from "@/lib/db/client";
import { sessionNameKey } from "@/lib/dto/sessions";
import { isUniqueViolation } from "@/lib/errors";
import { publish } from "@/lib/realtime/publish";

// Keeps the console's copy of agent state current. The agent is the source of truth: each
// snapshot overwrites the row; each change is also kept as one line of state history.

const ended = (state: string) => state === "Broken" || state === "Closed";

function sessionData(s: TSessionSnapshot) {
  // A Broken or Closed session has no holder and runs nothing, whatever else the snapshot says.
  const over = ended(s.state);
  return {
    agentSessionId: s.id,
    name: s.name,
    nameKey: sessionNameKey(s.name),
    configurationName: s.configurationName,
    ownerId: s.owner.id,
    ownerName: s.owner.name,
    holderId: over ? null : (s.holder?.id ?? null),
    holderName: over ? null : (s.holder?.name ?? null),
    state: s.state,
    reason: s.reason,
    idleTimeoutSec: s.idleTimeoutSec,
    outputBufferingMode: s.outputBufferingMode,
    disconnectedOn: s.disconnectedOn ? new Date(s.disconnectedOn) : null,
    expiresOn: s.expiresOn ? new Date(s.expiresOn) : null,
    bufferedBytes: s.bufferedBytes,
    bufferSizeBytes: s.bufferSizeBytes,
    outputBlocked: s.outputBlocked,
    droppedBytes: BigInt(s.droppedBytes),
    totalDroppedBytes: BigInt(s.totalDroppedBytes),
    runningCommand: s.command && !over ? (s.command.command ?? "(interactive)") : null,
    commandStartedOn: s.command && !over ? new Date(s.command.startedOn) : null,
    version: s.version ?? null,
  };
}


/**
 * A session that turned Broken or Closed runs nothing: its command rows still open end now,
 * with no exit code (none was seen). The session's event row and audit event say why.
 */
async function endOpenCommands(sessionId: string, at: Date, w: TWriter = db): Promise<void> {
  await w.sessionCommand.updateMany({ where: { sessionId, endedAt: null }, data: { endedAt: at, exitCode: null } });
}

/**
 * The console had marked this session Broken (its agent stopped answering) and ended its
 * command row; the agent is back and says otherwise. Its word wins: a command still running is
 * open again, one that finished meanwhile gets its real end and exit code.
 */
async function restoreCommandAfterBroken(sessionId: string, s: TSessionSnapshot, brokenAt: Date): Promise<void> {
  const row = await db.sessionCommand.findFirst({
    where: { sessionId, exitCode: null, endedAt: { gte: brokenAt } },
    orderBy: { startedAt: "desc" },
    select: { id: true },
  });
  if (!row) return;
  if (s.command) {
    await db.sessionCommand.update({ where: { id: row.id }, data: { endedAt: null } });
  } else if (s.lastCommand) {
    await db.sessionCommand.update({ where: { id: row.id }, data: { endedAt: new Date(s.lastCommand.finishedOn), exitCode: s.lastCommand.exitCode } });
  }
}

/** Who may see a session's changes live: its owner and holder, and every role that sees all sessions. */
export function audienceFor(s: { ownerId: string; holderId: string | null }) {
  return { roles: ["manager", "helpdesk", "admin"] as const, users: [s.ownerId, ...(s.holderId ? [s.holderId] : [])] };
}

export type TIngest = {
  computerId: string;
  snapshot: TSessionSnapshot;
  change?: TSessionChange | "reconciled";
  reason?: string;
  at?: Date;
};
export type TWriter = Pick<Db, "session" | "sessionEvent" | "sessionCommand" | "computer" | "$queryRawUnsafe" | "$executeRawUnsafe">;
type TEventRow = { sessionId: string; at: Date; change: string; state: TSessionSnapshot["state"]; reason: string | null; agentVersion: number | null };

const ROW_SELECT = { id: true, state: true, ownerId: true, holderId: true } as const;

type TRow = { id: string; state: TSessionSnapshot["state"]; ownerId: string; holderId: string | null };

// The two statements every agent-reported change runs (a bulk job runs them for each target)
// go as SQL through the one client's raw queries, in its transactions: Prisma's model API
// spends about three times the CPU on the same UPDATE (it builds and interprets a query plan
// per call; a multi-row INSERT's plan is compiled anew every time), and the console's CPU per
// target is what paces a bulk job at a high ThrottleLimit (docs/benchmarks.md, issue 14).
// Dates, BigInts and booleans are bound as the driver adapters bind the model API's.

type TSessionData = ReturnType<typeof sessionData>;
/** The UPDATE's columns (sessionData's, always all of them) and its SQL, made once. */
let update: { columns: (keyof TSessionData)[]; sql: string } | undefined;
/** No agent version in the snapshot: the row is overwritten whatever it holds (the largest INTEGER). */
const ANY_VERSION = 2_147_483_647;

function sessionUpdate(data: TSessionData) {
  if (update) return update;
  const columns = Object.keys(data) as (keyof TSessionData)[];
  const p = sqlPlaceholders();
  const sets = [...columns, "updatedAt"].map((c) => `"${c}" = ${p()}`).join(", ");
  return (update = { columns, sql: `UPDATE "Session" SET ${sets} WHERE "instanceId" = ${p()} AND ("version" IS NULL OR "version" <= ${p()}) RETURNING "id", "state", "ownerId", "holderId"` });
}

/**
 * Overwrites the row with the snapshot unless the stored one is newer (a higher agent
 * `version`), in one statement that also returns the row; null when it is not there or newer.
 */
async function updateRow(w: TWriter, snapshot: TSessionSnapshot, data: TSessionData): Promise<TRow | null> {
  const { columns, sql } = sessionUpdate(data);
  const rows = await w.$queryRawUnsafe<TRow[]>(sql, ...columns.map((c) => data[c]), new Date(), snapshot.instanceId, snapshot.version ?? ANY_VERSION);
  return rows[0] ?? null;
}

/**
 * Writes history lines in one INSERT (PostgreSQL gives each value its column's type, enum and
 * time included). A line whose agent change is already on record is left out: the same event
 * written again (the pump's retry after a commit that landed although its answer was lost, a
 * console that took over the computer's lease) is one line. Lines without a version all stay.
 */
async function insertHistoryLines(w: TWriter, events: readonly TEventRow[]): Promise<void> {
  if (events.length === 0) return;
  const p = sqlPlaceholders();
  const values = events.map(() => `(${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()})`).join(", ");
  await w.$executeRawUnsafe(
    `INSERT INTO "SessionEvent" ("sessionId", "at", "change", "state", "reason", "agentVersion") VALUES ${values} ON CONFLICT ("sessionId", "agentVersion") DO NOTHING`,
    ...events.flatMap((e) => [e.sessionId, e.at, e.change, e.state, e.reason, e.agentVersion]),
  );
}

function historyLine(sessionId: string, { snapshot, change, reason, at }: TIngest): TEventRow | null {
  // Fill updates, resizes and control keys (audited as input events) refresh the row but are not state history.
  // The agent gives every snapshot it takes a version of its own (an event's, an answer's, each
  // listing's), and a snapshot is written with one change at most: the version names the change.
  return change && change !== "resized" && change !== "buffered" && change !== "input.control"
    ? { sessionId, at: at ?? new Date(), change, state: snapshot.state, reason: reason ?? snapshot.reason ?? null, agentVersion: snapshot.version ?? null }
    : null;
}

/**
 * Writes one session's row; returns the row and the history line it needs, if any (written by
 * the caller). Any number of writers (an action's answer, the stream's event, a reconcile) may
 * apply snapshots of the same session in any order: the first creates the row, a writer that
 * lost that race updates it instead, and a snapshot older than the stored one (a lower agent
 * `version`) leaves the row as it is. Its history line is still kept: the change did happen.
 * The usual case, a row that is there and older, is one statement.
 */
export async function writeRow(w: TWriter, item: TIngest): Promise<{ row: TRow; event: TEventRow | null }> {
  const { computerId, snapshot, at } = item;
  const data = sessionData(snapshot);
  const where = { instanceId: snapshot.instanceId };
  let row = await updateRow(w, snapshot, data);
  let current = row !== null;
  if (!row) {
    const found = await w.session.findUnique({ where, select: ROW_SELECT });
    const made = found ? null : await createRow(w, computerId, snapshot, data);
    if (made?.created) {
      row = made;
      current = true;
    } else if (made) {
      // Another writer created it meanwhile: this snapshot updates it, unless that one is newer.
      row = await updateRow(w, snapshot, data);
      current = row !== null;
    }
    row ??= found ?? (await w.session.findUniqueOrThrow({ where, select: ROW_SELECT }));
  }
  if (current && ended(snapshot.state)) await endOpenCommands(row.id, at ?? new Date(), w);
  return { row: { id: row.id, state: row.state, ownerId: row.ownerId, holderId: row.holderId }, event: historyLine(row.id, item) };
}

/** Creates the row; `created: false` when another writer created it meanwhile (then the caller updates it). */
async function createRow(w: TWriter, computerId: string, snapshot: TSessionSnapshot, data: ReturnType<typeof sessionData>) {
  try {
    // The computer's name is copied onto the row (names are fixed at registration): the sessions
    // list sorts and filters by it from an index.
    const { name: computerName } = await w.computer.findUniqueOrThrow({ where: { id: computerId }, select: { name: true } });
    const row = await w.session.create({
      data: { ...data, instanceId: snapshot.instanceId, computerId, computerName, createdAt: new Date(snapshot.createdOn) },
      select: ROW_SELECT,
    });
    return { ...row, created: true };
  } catch (err) {
    // Inside a transaction PostgreSQL has aborted it: the caller's retry finds the row.
    if (!isUniqueViolation(err) || w !== db) throw err;
    return { ...(await w.session.findUniqueOrThrow({ where: { instanceId: snapshot.instanceId }, select: ROW_SELECT })), created: false };
  }
}

/** Per session, the "created" line being written in this process (its check and INSERT go one at a time). */
const creating = new Map<string, Promise<void>>();

/**
 * A session is created once: the stream's event, its retry and a reconcile that saw it first
 * write one line between them. Writers in this process take turns (the console that holds a
 * computer's ingest lease is its only writer of these), so two never both find none and insert.
 */
function writeCreatedLineOnce(event: TEventRow): Promise<void> {
  const turn = (creating.get(event.sessionId) ?? Promise.resolve()).then(async () => {
    if ((await db.sessionEvent.count({ where: { sessionId: event.sessionId, change: "created" } })) === 0) await insertHistoryLines(db, [event]);
  });
  const settled = turn.catch(() => undefined);
  creating.set(event.sessionId, settled);
  void settled.then(() => {
    if (creating.get(event.sessionId) === settled) creating.delete(event.sessionId);
  });
  return turn;
}

export async function ingestSession(item: TIngest): Promise<string> {
  const { row, event } = await writeRow(db, item);
  if (event?.change === "created") await writeCreatedLineOnce(event);
  else if (event) await insertHistoryLines(db, [event]);
  publish({ type: "session.updated", id: row.id, state: row.state }, audienceFor(row));
  return row.id;
}

/**
 * Several sessions' changes (a burst of agent events, as a bulk job causes) in one transaction:
 * one commit for the lot instead of one per change, in order, their history lines in one INSERT.
 * A session with several changes in the burst has its row written once, from its newest
 * snapshot; each change still keeps its history line. A session another writer created
 * meanwhile aborts the transaction; it is run again, and then updates that row.
 */
export async function ingestSessions(items: readonly TIngest[]): Promise<string[]> {
  // A lone change too: its row and its history line in one commit (one fsync, not two).
  if (items.length === 0) return [];
  // Per session, the item whose snapshot the row is written from: the newest (the later of equals).
  const newest = new Map<string, number>();
  for (const [i, { snapshot }] of items.entries()) {
    const j = newest.get(snapshot.instanceId);
    if (j === undefined || (items[j].snapshot.version ?? -1) <= (snapshot.version ?? -1)) newest.set(snapshot.instanceId, i);
  }
  const write = () =>
    db.$transaction(async (tx) => {
      const rows = new Map<string, TRow>();
      for (const [i, item] of items.entries()) {
        if (newest.get(item.snapshot.instanceId) === i) rows.set(item.snapshot.instanceId, (await writeRow(tx, item)).row);
      }
      const events = items.flatMap((item) => historyLine(rows.get(item.snapshot.instanceId)!.id, item) ?? []);
      await insertHistoryLines(tx, events);
      return rows;
    });
  const rows = await write().catch((err) => {
    if (isUniqueViolation(err)) return write();
    throw err;
  });
  for (const row of rows.values()) publish({ type: "session.updated", id: row.id, state: row.state }, audienceFor(row));
  return items.map((item) => rows.get(item.snapshot.instanceId)!.id);
}

/**
 * Why a session the console knew is Closed when its agent's hello no longer lists it: an agent
 * keeps a closed session listed for a quarter of an hour, so one that is gone went with the
 * agent host's previous run (it stopped or was killed, and its sessions' processes with it).
 */
export const SESSION_LOST_REASON = "the agent host stopped: the session ended with it (the agent no longer has it)";

export type TReconciledChange = { sessionId: string; sessionName: string; change: TSessionChange; reason: string | undefined; at: Date };

/**
 * When a change the console missed happened, as far as the snapshot tells: an idle expiry at
 * the session's expiry time, a disconnect at its disconnect time; otherwise now (when it was seen).
 */
function happenedAt(s: TSessionSnapshot, change: TSessionChange | undefined): Date {
  if (change === "closed" && s.reason?.startsWith("IdleTimeout") && s.expiresOn) return new Date(s.expiresOn);
  if (change === "disconnected" && s.disconnectedOn) return new Date(s.disconnectedOn);
  if (change === "created") return new Date(s.createdOn);
  return new Date();
}

/**
 * A command the console still shows running that the agent says has finished (its event was
 * missed or could not be written): the open command rows end with the agent's exit code and time.
 */
async function finishMissedCommand(sessionId: string, s: TSessionSnapshot): Promise<void> {
  const last = s.lastCommand;
  if (s.command || !last) return;
  await db.sessionCommand.updateMany({
    where: { sessionId, endedAt: null, startedAt: { lte: new Date(last.finishedOn) } },
    data: { endedAt: new Date(last.finishedOn), exitCode: last.exitCode },
  });
}

function changeBetween(prev: { state: string; holderId: string | null } | undefined, s: TSessionSnapshot): TSessionChange | undefined {
  if (!prev || (prev.state === s.state && prev.holderId === (s.holder?.id ?? null))) return undefined;
  switch (s.state) {
    case "Disconnected":
      return "disconnected";
    case "Closed":
      return "closed";
    case "Broken":
      return "broken";
    case "Opened":
      return "connected";
    default:
      return undefined;
  }
}

/**
 * After a (re)connect, a store recovery and periodically: the agent lists every session it
 * has (live ones, and ended ones for a while); anything else we thought was live is gone.
 * `pending`: sessions left out of `snapshots` because their own events are about to be applied.
 * Returns the state changes that happened while the console was not listening, so the caller
 * can audit those the agent made on its own (e.g. a robust disconnect when a stream dropped).
 */
export async function reconcileComputer(computerId: string, snapshots: TSessionSnapshot[], pending: ReadonlySet<string> = new Set()): Promise<TReconciledChange[]> {
  // Sessions whose events are still to be applied are live as far as this reconcile knows.
  const seen = new Set<string>(pending);
  const before = new Map(
    (
      await db.session.findMany({
        where: { computerId, OR: [{ state: { not: "Closed" } }, { instanceId: { in: snapshots.map((s) => s.instanceId) } }] },
        select: { id: true, instanceId: true, state: true, holderId: true },
      })
    ).map((r) => [r.instanceId, r]),
  );
  const changes: TReconciledChange[] = [];
  for (const s of snapshots) {
    seen.add(s.instanceId);
    const prev = before.get(s.instanceId);
    // A session the console never heard of was created while it was not listening (or could not write).
    const change = prev ? changeBetween(prev, s) : "created";
    if (prev?.state === "Broken" && s.state !== "Broken") {
      const brokenAt = await db.sessionEvent.findFirst({ where: { sessionId: prev.id, change: "broken" }, orderBy: { at: "desc" }, select: { at: true } });
      if (brokenAt) await restoreCommandAfterBroken(prev.id, s, brokenAt.at);
    }
    // Nobody could have disconnected it through this console while its stream was down: the
    // agent did, because the stream it was attached through was lost (robust connection).
    const reason = s.reason ?? (change === "disconnected" ? "stream lost while the console was away; the session kept running disconnected" : undefined);
    if (prev) await finishMissedCommand(prev.id, s);
    const at = happenedAt(s, change);
    const sessionId = await ingestSession({ computerId, snapshot: s, change, reason, at });
    if (change) changes.push({ sessionId, sessionName: s.name, change, reason, at });
  }
  const vanished = await db.session.findMany({
    where: { computerId, state: { not: "Closed" }, instanceId: { notIn: [...seen] } },
    select: { id: true, name: true, ownerId: true, holderId: true },
  });
  for (const v of vanished) {
    const reason = SESSION_LOST_REASON;
    const at = new Date();
    // Row, command rows and history line commit together: a failure between them cannot leave a
    // Closed row without its line (a Closed row is never reconciled again).
    await db.$transaction(async (tx) => {
      await tx.session.update({ where: { id: v.id }, data: { state: "Closed", holderId: null, holderName: null, reason, runningCommand: null, commandStartedOn: null } });
      await endOpenCommands(v.id, at, tx);
      await tx.sessionEvent.create({ data: { sessionId: v.id, at, change: "reconciled", state: "Closed", reason } });
    });
    publish({ type: "session.updated", id: v.id, state: "Closed" }, audienceFor(v));
    // Returned with the changes so the caller audits it (once: a Closed row is never reconciled again).
    changes.push({ sessionId: v.id, sessionName: v.name, change: "closed", reason, at });
  }
  return changes;
}

/**
 * The agent stopped answering: its live sessions are Broken until it comes back. Nobody holds a
 * Broken session and nothing is known to run in it, so the holder is cleared and open command
 * rows end (no exit code); when the agent reconciles, its snapshots take over again. Returns the
 * sessions that turned Broken, for the caller to audit (each session's record as well as the computer's).
 */
export async function markComputerBroken(computerId: string, reason: string, at = new Date()): Promise<{ sessionId: string; sessionName: string }[]> {
  const live = await db.session.findMany({
    where: { computerId, state: { notIn: ["Closed", "Broken"] } },
    select: { id: true, name: true, ownerId: true, holderId: true },
  });
  for (const s of live) {
    // One commit: a Broken row always has its line (a Broken row is not marked Broken again).
    await db.$transaction(async (tx) => {
      await tx.session.update({ where: { id: s.id }, data: { state: "Broken", reason, holderId: null, holderName: null, runningCommand: null, commandStartedOn: null } });
      await endOpenCommands(s.id, at, tx);
      await tx.sessionEvent.create({ data: { sessionId: s.id, at, change: "broken", state: "Broken", reason } });
    });
    // The holder it had is told too: the session left their hands.
    publish({ type: "session.updated", id: s.id, state: "Broken" }, audienceFor(s));
  }
  return live.map((s) => ({ sessionId: s.id, sessionName: s.name }));
}

export async function ingestConfigurations(computerId: string, configurations: TConfigurationView[]): Promise<void> {
  for (const c of configurations) await upsertConfiguration(computerId, c);
  await db.sessionConfiguration.deleteMany({ where: { computerId, name: { notIn: configurations.map((c) => c.name) } } });
}

export async function upsertConfiguration(computerId: string, c: TConfigurationView): Promise<void> {
  {
    const data = {
      idleTimeoutMs: c.idleTimeoutMs,
      maxIdleTimeoutMs: c.maxIdleTimeoutMs,
      outputBufferingMode: c.outputBufferingMode,
      outputBufferBytes: c.outputBufferSizeBytes,
      maxShells: c.maxShells,
      maxShellsPerUser: c.maxShellsPerUser,
      maxConcurrentUsers: c.maxConcurrentUsers,
      maxMemoryPerShellMB: c.maxMemoryPerShellMB,
      maxProcessesPerShell: c.maxProcessesPerShell,
      allowedRoles: JSON.stringify(c.allowedRoles),
      minIdleTimeoutSec: c.minIdleTimeoutSec,
      activeShells: c.activeShells,
      activeUsers: c.activeUsers,
      enforcement: JSON.stringify(c.enforcement),
      allowAskBeforeWatching: c.allowAskBeforeWatching,
    };
    await db.sessionConfiguration.upsert({
      where: { computerId_name: { computerId, name: c.name } },
      create: { ...data, computerId, name: c.name },
      update: data,
    });
  }
}
