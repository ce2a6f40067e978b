import { db } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { eventHash, eventMac, GENESIS_HASH } from "@/lib/audit/chain";
import { forgetAuditCheckpointState, noteAuditAppended } from "@/lib/audit/checkpoint";
import { auditKeyring } from "@/lib/audit/keys";
import { publish } from "@/lib/realtime/publish";

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
// The chain's tail and the append queue live on globalThis: server.ts and Next's bundle each
// load this module, and both must append to one chain in order.
const g = globalThis as typeof globalThis & { __batonAuditTail?: TTail; __batonAuditQueue?: Promise<unknown> };

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
 * process run one at a time against a cached tail, so each is a single INSERT. seq and prevHash
 * are unique, so a writer elsewhere (another console instance, a script) that moved the tail
 * makes the INSERT fail instead of forking the chain: the tail is re-read and the append retried.
 */
export async function appendAuditEvent(input: TAuditInput): Promise<{ seq: number; hash: string }> {
  return (await appendAuditEvents([input]))[0];
}

/**
 * Appends several events (a bulk job's outcomes) in order, in one statement: one commit for the
 * lot instead of one per event, each event still its own link with its own MAC.
 */
export function appendAuditEvents(inputs: readonly TAuditInput[]): Promise<{ seq: number; hash: string }[]> {
  if (inputs.length === 0) return Promise.resolve([]);
  return enqueue(() => appendNow(inputs)).then((r) => r ?? []);
}

/**
 * Appends the outcome of an action and deletes its ActionIntent rows in one transaction, so an
 * outcome is recorded exactly once however many writers try (the action itself, its retry after
 * an outage, another instance's recovery sweep). Returns null, writing nothing, when an intent
 * is already gone: someone else recorded that outcome.
 */
export function appendSettlingIntents(input: TAuditInput, intentIds: readonly string[]): Promise<{ seq: number; hash: string } | null> {
  if (intentIds.length === 0) return appendAuditEvent(input);
  return enqueue(() => appendNow([input], [...intentIds])).then((r) => r?.[0] ?? null);
}

function enqueue<T>(task: () => Promise<T>): Promise<T> {
  const run = (g.__batonAuditQueue ?? Promise.resolve()).then(task);
  g.__batonAuditQueue = run.catch(() => undefined);
  return run;
}

class IntentSettled extends Error {}

async function appendNow(inputs: readonly TAuditInput[], settle: string[] = []): Promise<{ seq: number; hash: string }[] | null> {
  // An action taken with a personal access token names the token (its name and id, never its value).
  const params = inputs.map((i) => redactParams(i.actor.via ? { ...i.params, via: i.actor.via } : i.params));
  const key = auditKeyring().current;
  for (let attempt = 0; ; attempt++) {
    let tail = (g.__batonAuditTail ??= await readTail());
    const now = new Date();
    const rows = inputs.map((input, i) => {
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
        params: params[i],
        error: input.error ?? null,
      };
      const hash = eventHash(tail.hash, fields);
      const row = { ...fields, prevHash: tail.hash, hash, keyId: key.id, mac: eventMac(key.hmac, key.id, hash) };
      tail = { seq: fields.seq, hash };
      return row;
    });
    try {
      // One INSERT for the lot: all of it commits or none of it does.
      if (settle.length) {
        await db.$transaction(async (tx) => {
          const gone = await tx.actionIntent.deleteMany({ where: { id: { in: settle } } });
          if (gone.count !== settle.length) throw new IntentSettled();
          await tx.auditEvent.create({ data: rows[0], select: { seq: true } });
        });
      } else if (rows.length === 1) await db.auditEvent.create({ data: rows[0], select: { seq: true } });
      else await db.auditEvent.createMany({ data: rows });
    } catch (err) {
      if (err instanceof IntentSettled) return null;
      g.__batonAuditTail = undefined;
      if ((err as { code?: string }).code === "P2002" && attempt < 50) continue;
      logger.error({ err, action: inputs[0].action, events: inputs.length }, "audit append failed");
      throw err;
    }
    g.__batonAuditTail = tail;
    for (const r of rows) noteAuditAppended(r.seq);
    // After the commit: an auditor's page never hears of an event it cannot read yet.
    publish({ type: "audit.appended", seq: tail.seq }, { roles: ["auditor", "admin"] });
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }
}
