import { db, sqlPlaceholders } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { eventHash, eventMac, GENESIS_HASH, type TChainFields } from "@/lib/audit/chain";
import { forgetAuditCheckpointState, noteAuditAppended } from "@/lib/audit/checkpoint";
import { auditKeyring } from "@/lib/audit/keys";
import { publish } from "@/lib/realtime/publish";
import { chunked } from "@/lib/utils/chunked";

export type TAuditOutcome = "ok" | "refused" | "error";
/** How an actor reached the console when not by a signed-in browser: a personal access token. */
export type TActorVia = { credential: "personal access token"; name: string; id: string };
export type TAuditInput = {
  actor: { id: string | null; name: string; role: string; via?: TActorVia };
  action: string;
  outcome: TAuditOutcome;
  computerName?: string | null;
  sessionId?: string | null;
  sessionName?: string | null;
  params?: Record<string, unknown>;
  error?: string | null;
  /**
   * When it happened, if not now: an agent's event applied late (the store was down) keeps the
   * agent's time; an action's outcome recorded late keeps the time the action finished.
   */
  at?: Date;
  /**
   * Names what this event records, when its writer may write it twice: an agent's event applied
   * again after a store failure whose COMMIT landed though its answer was lost. An event whose key
   * is in the trail already is not written again; its caller gets the event on record.
   */
  dedupeKey?: string;
};

const SECRET_KEYS = /pass(word)?|token|secret|cookie|authorization/i;
const MAX_PARAMS = 4000;

/** The audit actor for a user, naming the access token when the request came with one. */
export function auditActorOf(user: { id: string; username: string; role: string; accessToken?: { id: string; name: string } }): TAuditInput["actor"] {
  const actor = { id: user.id, name: user.username, role: user.role };
  return user.accessToken ? { ...actor, via: { credential: "personal access token", name: user.accessToken.name, id: user.accessToken.id } } : actor;
}

// Parameters are kept for auditors, minus anything that looks like a credential.
export function redactParams(params: Record<string, unknown> | undefined): string {
  if (!params) return "{}";
  const json = JSON.stringify(params, (key, value) => (key && SECRET_KEYS.test(key) ? "[redacted]" : value));
  return json.length > MAX_PARAMS ? JSON.stringify({ truncated: true, head: json.slice(0, MAX_PARAMS) }) : json;
}

type TTail = { seq: number; hash: string };
/** One caller's appends waiting in the queue; settled only after the commit that holds them. */
type TRequest = {
  inputs: readonly TAuditInput[];
  settle: string[];
  resolve: (r: { seq: number; hash: string }[] | null) => void;
  reject: (err: unknown) => void;
};
type TQueue = { waiting: TRequest[]; draining: boolean };
// The chain's tail and the append queue live on globalThis: server.ts and Next's bundle each
// load this module, and both must append to one chain in order.
const g = globalThis as typeof globalThis & { __batonAuditTail?: TTail; __batonAuditGroup?: TQueue };
const queue = (): TQueue => (g.__batonAuditGroup ??= { waiting: [], draining: false });

/** At most this many callers share one commit (a bulk append counts once). */
const MAX_GROUP = 256;

/** Drops the cached tail (tests that empty the table behind the app's back). */
export function forgetAuditTail(): void {
  g.__batonAuditTail = undefined;
  forgetAuditCheckpointState();
}

async function readTail(): Promise<TTail> {
  const last = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  return last ?? { seq: 0, hash: GENESIS_HASH };
}

/**
 * Appends one event to the chain, with its MAC under the current audit key. Appends in this
 * process go through one queue against a cached tail; the appends waiting in it while a commit
 * runs share the next commit (group commit): one INSERT (one transaction when intents are
 * settled or it takes several) for all of them, each event still its own link with its own MAC, each caller answered
 * only once that commit is durable. seq and prevHash are unique, so a writer elsewhere (another
 * console instance, a script) that moved the tail makes the INSERT fail instead of forking the
 * chain: the tail is re-read and the group retried.
 */
export async function appendAuditEvent(input: TAuditInput): Promise<{ seq: number; hash: string }> {
  return (await appendAuditEvents([input]))[0];
}

/**
 * Appends several events (a bulk job's outcomes) in order, in one commit (one INSERT per 1,000
 * events) instead of one per event, each event still its own link with its own MAC.
 */
export function appendAuditEvents(inputs: readonly TAuditInput[]): Promise<{ seq: number; hash: string }[]> {
  if (inputs.length === 0) return Promise.resolve([]);
  return enqueue(inputs, []).then((r) => r ?? []);
}

/**
 * Appends the outcome of an action and deletes its ActionIntent rows in one transaction, so an
 * outcome is recorded exactly once however many writers try (the action itself, its retry after
 * an outage, another instance's recovery sweep). Returns null, writing nothing, when an intent
 * is already gone: someone else recorded that outcome.
 */
export function appendSettlingIntents(input: TAuditInput, intentIds: readonly string[]): Promise<{ seq: number; hash: string } | null> {
  if (intentIds.length === 0) return appendAuditEvent(input);
  return enqueue([input], [...intentIds]).then((r) => r?.[0] ?? null);
}

function enqueue(inputs: readonly TAuditInput[], settle: string[]): Promise<{ seq: number; hash: string }[] | null> {
  return new Promise((resolve, reject) => {
    const q = queue();
    q.waiting.push({ inputs, settle, resolve, reject });
    if (!q.draining) void drain(q);
  });
}

/** Commits what waits in the queue, a group at a time, until it is empty. */
async function drain(q: TQueue): Promise<void> {
  q.draining = true;
  try {
    while (q.waiting.length > 0) {
      const group = q.waiting.splice(0, MAX_GROUP);
      try {
        await commitGroup(group);
      } catch (err) {
        // A failure a single caller may have caused (not a moved tail): each one alone, so one
        // bad append fails only its own caller.
        if (group.length === 1) group[0].reject(err);
        else for (const r of group) await commitGroup([r]).catch(r.reject);
      }
    }
  } finally {
    q.draining = false;
  }
}

/** Thrown inside the group's transaction when a request's intents were already settled elsewhere. */
class IntentSettled extends Error {
  constructor(readonly request: TRequest) {
    super("intent already settled");
  }
}

async function commitGroup(group: TRequest[]): Promise<void> {
  let live = group;
  for (let attempt = 0; live.length > 0; attempt++) {
    const written = await writeGroup(live).catch((err: unknown) => {
      if (err instanceof IntentSettled) return err;
      g.__batonAuditTail = undefined;
      // seq's or prevHash's uniqueness: another writer moved the tail.
      if (isUniqueViolation(err) && attempt < 50) return null;
      logger.error({ err, action: live[0].inputs[0].action, events: live.reduce((n, r) => n + r.inputs.length, 0) }, "audit append failed");
      throw err;
    });
    if (written instanceof IntentSettled) {
      // Someone else recorded that outcome: it writes nothing (the rollback kept its other
      // intents), and the rest of the group goes again without it.
      written.request.resolve(null);
      live = live.filter((r) => r !== written.request);
      continue;
    }
    if (written === null) continue;
    for (const [i, r] of live.entries()) r.resolve(written[i]);
    return;
  }
}

type TRow = TChainFields & { prevHash: string; hash: string; keyId: string; mac: string; dedupeKey: string | null };
const COLUMNS = ["seq", "at", "actorId", "actorName", "actorRole", "action", "outcome", "computerName", "sessionId", "sessionName", "params", "error", "prevHash", "hash", "keyId", "mac", "dedupeKey"] as const;
/** Rows per INSERT: 17,000 bound values, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;

/**
 * Writes rows with raw multi-row INSERTs. Prisma's createMany compiled and serialised every row
 * through its query engine, about 0.5-1 ms of CPU per event (docs/benchmarks.md, "Audit"); the raw
 * statement costs a few hundredths of that. Values are bound as Prisma binds them (a Date is
 * stored in the same form), through the same connection and transaction.
 */
async function insertRows(q: Pick<typeof db, "$executeRawUnsafe">, rows: readonly TRow[]): Promise<void> {
  for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
    const chunk = rows.slice(from, from + ROWS_PER_INSERT);
    const p = sqlPlaceholders();
    const values = chunk.map(() => `(${COLUMNS.map(() => p()).join(", ")})`).join(", ");
    await q.$executeRawUnsafe(`INSERT INTO "AuditEvent" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ${values}`, ...chunk.flatMap((r) => COLUMNS.map((c) => r[c])));
  }
}

/** Keys per lookup of events on record: under SQLite's 999 bound values as Prisma counts them. */
const KEYS_PER_READ = 500;

/** The events on record under the group's dedupe keys (read again on every attempt: another writer may have added one). */
async function eventsOnRecord(group: readonly TRequest[]): Promise<Map<string, { seq: number; hash: string }>> {
  const keys = [...new Set(group.flatMap((r) => r.inputs.flatMap((i) => (i.dedupeKey ? [i.dedupeKey] : []))))];
  const found = new Map<string, { seq: number; hash: string }>();
  for (const chunk of chunked(keys, KEYS_PER_READ)) {
    const rows = await db.auditEvent.findMany({ where: { dedupeKey: { in: chunk } }, select: { seq: true, hash: true, dedupeKey: true } });
    for (const r of rows) found.set(r.dedupeKey!, { seq: r.seq, hash: r.hash });
  }
  return found;
}

/**
 * Hashes the group's events in queue order after the cached tail and commits them at once. An
 * event whose dedupe key is on record (or earlier in the group) is not written: its caller gets
 * the event on record.
 */
async function writeGroup(group: TRequest[]): Promise<{ seq: number; hash: string }[][]> {
  const key = auditKeyring().current;
  let tail = (g.__batonAuditTail ??= await readTail());
  const onRecord = await eventsOnRecord(group);
  const now = new Date();
  const perRequest = group.map((request) =>
    request.inputs.map((input): TRow | { seq: number; hash: string } => {
      const known = input.dedupeKey ? onRecord.get(input.dedupeKey) : undefined;
      if (known) return known;
      // An action taken with a personal access token names the token (its name and id, never its value).
      const params = redactParams(input.actor.via ? { ...input.params, via: input.actor.via } : input.params);
      const fields = {
        seq: tail.seq + 1,
        at: input.at ?? now,
        actorId: input.actor.id,
        actorName: input.actor.name,
        actorRole: input.actor.role,
        action: input.action,
        outcome: input.outcome,
        computerName: input.computerName ?? null,
        sessionId: input.sessionId ?? null,
        sessionName: input.sessionName ?? null,
        params,
        error: input.error ?? null,
      };
      const hash = eventHash(tail.hash, fields);
      const row: TRow = { ...fields, prevHash: tail.hash, hash, keyId: key.id, mac: eventMac(key.hmac, key.id, hash), dedupeKey: input.dedupeKey ?? null };
      tail = { seq: fields.seq, hash };
      if (input.dedupeKey) onRecord.set(input.dedupeKey, { seq: row.seq, hash });
      return row;
    }),
  );
  const rows = perRequest.flat().filter((r): r is TRow => "prevHash" in r);
  const settling = group.filter((r) => r.settle.length > 0);
  // The group goes in as multi-row INSERTs, inside one transaction when intents are settled with
  // it or it takes more than one statement: all of it commits or none of it does.
  if (settling.length > 0 || rows.length > ROWS_PER_INSERT) {
    await db.$transaction(async (tx) => {
      for (const r of settling) {
        const gone = await tx.actionIntent.deleteMany({ where: { id: { in: r.settle } } });
        if (gone.count !== r.settle.length) throw new IntentSettled(r);
      }
      await insertRows(tx, rows);
    });
  } else if (rows.length > 0) await insertRows(db, rows);
  g.__batonAuditTail = tail;
  for (const r of rows) noteAuditAppended(r.seq);
  // After the commit: an auditor's page never hears of an event it cannot read yet.
  if (rows.length > 0) publish({ type: "audit.appended", seq: tail.seq }, { roles: ["auditor", "admin"] });
  return perRequest.map((rs) => rs.map((r) => ({ seq: r.seq, hash: r.hash })));
}
