import { db } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { eventHash, eventMac, GENESIS_HASH } from "@/lib/audit/chain";
import { forgetAuditCheckpointState, noteAuditAppended } from "@/lib/audit/checkpoint";
import { auditKeyring } from "@/lib/audit/keys";
import { publish } from "@/lib/realtime/publish";

export type TAuditOutcome = "ok" | "refused" | "error";
export type TAuditInput = {
  actor: { id: string | null; name: string; role: string };
  action: string;
  outcome: TAuditOutcome;
  computerName?: string | null;
  sessionId?: string | null;
  sessionName?: string | null;
  params?: Record<string, unknown>;
  error?: string | null;
};

const SECRET_KEYS = /pass(word)?|token|secret|cookie|authorization/i;
const MAX_PARAMS = 4000;

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
export function appendAuditEvent(input: TAuditInput): Promise<{ seq: number; hash: string }> {
  const run = (g.__batonAuditQueue ?? Promise.resolve()).then(() => appendNow(input));
  g.__batonAuditQueue = run.catch(() => undefined);
  return run;
}

async function appendNow(input: TAuditInput): Promise<{ seq: number; hash: string }> {
  const params = redactParams(input.params);
  const key = auditKeyring().current;
  for (let attempt = 0; ; attempt++) {
    const tail = (g.__batonAuditTail ??= await readTail());
    const fields = {
      seq: tail.seq + 1,
      at: new Date(),
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
    const mac = eventMac(key.hmac, key.id, hash);
    try {
      await db.auditEvent.create({ data: { ...fields, prevHash: tail.hash, hash, keyId: key.id, mac }, select: { seq: true } });
    } catch (err) {
      g.__batonAuditTail = undefined;
      if ((err as { code?: string }).code === "P2002" && attempt < 50) continue;
      logger.error({ err, action: input.action }, "audit append failed");
      throw err;
    }
    g.__batonAuditTail = { seq: fields.seq, hash };
    noteAuditAppended(fields.seq);
    // After the commit: an auditor's page never hears of an event it cannot read yet.
    publish({ type: "audit.appended", seq: fields.seq }, { roles: ["auditor", "admin"] });
    return { seq: fields.seq, hash };
  }
}
