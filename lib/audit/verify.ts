import type { KeyObject } from "node:crypto";
import { db } from "@/lib/db/client";
import { openEventPages } from "@/lib/audit/event-pages";
import { auditPaths, env } from "@/lib/env";
import { eventHash, GENESIS_HASH, macMatches } from "@/lib/audit/chain";
import { checkCheckpoints, readCheckpoints, type TCheckpoint } from "@/lib/audit/checkpoint-file";
import { readAuditKeyring } from "@/lib/audit/keys";

export type TVerifyMode = "full" | "since-checkpoint";

export type TVerifySummary = {
  /**
   * "full": every event from genesis. "since-checkpoint": the checkpoints among themselves, then
   * only the newest checkpoint's own event and the events after it; what lies before is vouched
   * for by the signed checkpoints and by the last full verify, not by this run.
   */
  mode: TVerifyMode;
  /** The newest checkpoint a since-checkpoint run started from; null when the walk began at genesis. */
  since: { checkpoint: number; seq: number } | null;
  /** Events checked before the verdict. */
  count: number;
  headHash: string;
  /** Whether each event's MAC was checked (the verifier held the HMAC keys). */
  macsChecked: boolean;
  /** Events from before keyed auditing, protected only by the SHA-256 chain and checkpoints. */
  legacy: number;
  checkpoints: number;
  lastCheckpoint: { index: number; seq: number; at: string } | null;
  /** Events newer than the newest checkpoint: protected by the MACs only. */
  unanchored: number;
};
export type TVerifyResult =
  | ({ ok: true } & TVerifySummary)
  | ({ ok: false; brokenAt: number | null; checkpoint: number | null; reason: string } & TVerifySummary);

export type TVerifyOptions = {
  /** Default "full". "since-checkpoint" is the routine check; with no checkpoint yet it walks from genesis. */
  mode?: TVerifyMode;
  pageSize?: number;
  /** HMAC keys by id; null verifies without secrets (an auditor's run). Default: the console's keyring. */
  hmacKeys?: Map<string, Buffer> | null;
  /** Public keys by id that checkpoints must be signed with. Default: the keyring's. */
  trusted?: Map<string, KeyObject>;
  /** Default: BATON_AUDIT_CHECKPOINT_DIR (or data/audit-checkpoints). */
  checkpointDir?: string;
};

type TFailure = { brokenAt: number | null; checkpoint: number | null; reason: string };
export type TRangeResult = { failure: TFailure | null; count: number; headSeq: number; headHash: string; legacy: number; lastLegacy: number; lastAt: Date | null };

/**
 * Walks events after `from` (seq and hash of the last trusted event) in seq order, in pages,
 * through `through` if given, and names the first link that does not hold: a missing or
 * reordered event, content that does not match its hash, a MAC that does not match (when the
 * keys are held), a stripped MAC, or a head hash that differs from a signed checkpoint.
 */
export async function verifyRange(o: {
  from: { seq: number; hash: string };
  through?: number;
  hmacKeys: Map<string, Buffer> | null;
  /** Events after this seq must carry a MAC (from the checkpoints); null when unknown. */
  legacyThrough: number | null;
  checkpointsBySeq?: Map<number, TCheckpoint[]>;
  pageSize?: number;
}): Promise<TRangeResult> {
  // Small pages: rows that die young are cheap to collect (5,000-row pages cost a third more CPU).
  const pageSize = o.pageSize ?? 1000;
  let prevHash = o.from.hash;
  let expectedSeq = o.from.seq + 1;
  let count = 0;
  let legacy = 0;
  let lastLegacy = 0;
  let firstKeyed: number | null = null;
  let anchoredThrough = o.from.seq;
  let lastAt: Date | null = null;
  const done = (failure: TFailure | null): TRangeResult => ({ failure, count, headSeq: expectedSeq - 1, headHash: prevHash, legacy, lastLegacy, lastAt });
  const pages = await openEventPages();
  try {
    // The next page is asked for before this one is hashed, so PostgreSQL reads while we hash.
    let next = pages.read({ from: expectedSeq, through: o.through, limit: pageSize });
    for (;;) {
      const rows = await next;
      if (rows.length === 0) return done(null);
      next = pages.read({ from: rows[rows.length - 1].seq + 1, through: o.through, limit: pageSize });
      // A verdict before the prefetched page is read leaves its promise unawaited.
      next.catch(() => undefined);
      for (const row of rows) {
        const at = (reason: string, checkpoint: number | null = null) => done({ brokenAt: row.seq, checkpoint, reason });
        if (row.seq !== expectedSeq) {
          return done({ brokenAt: expectedSeq, checkpoint: null, reason: `event #${expectedSeq} is missing (next present is #${row.seq})` });
        }
        if (row.prevHash !== prevHash) return at(`event #${row.seq} does not follow event #${row.seq - 1} (prevHash differs)`);
        if (eventHash(prevHash, row) !== row.hash) return at(`event #${row.seq} was modified (its content no longer matches its hash)`);
        if (row.keyId === null || row.mac === null) {
          if (row.keyId !== null || row.mac !== null) return at(`event #${row.seq} was modified (it has a key id or a MAC, not both)`);
          if (firstKeyed !== null) return at(`event #${row.seq} carries no MAC although event #${firstKeyed} before it does: its MAC was stripped`);
          if (o.legacyThrough !== null && row.seq > o.legacyThrough) {
            return at(`event #${row.seq} carries no MAC, but the signed checkpoints say every event after #${o.legacyThrough} has one: its MAC was stripped`);
          }
          legacy++;
          lastLegacy = row.seq;
        } else {
          firstKeyed ??= row.seq;
          if (o.hmacKeys) {
            const key = o.hmacKeys.get(row.keyId);
            if (!key) return at(`event #${row.seq} names audit key ${row.keyId}, which is not in the keyring`);
            if (!macMatches(key, row.keyId, row.hash, row.mac)) {
              return at(`event #${row.seq}'s MAC does not match: it was changed and re-hashed by someone without the audit key`);
            }
          }
        }
        for (const c of o.checkpointsBySeq?.get(row.seq) ?? []) {
          if (c.headHash !== row.hash) {
            const span = anchoredThrough + 1 === row.seq ? `event #${row.seq}` : `events #${anchoredThrough + 1}–#${row.seq}`;
            return at(`the chain was re-hashed: event #${row.seq} does not match checkpoint ${c.index} (signed ${c.at}); the change lies in ${span}`, c.index);
          }
          anchoredThrough = row.seq;
        }
        prevHash = row.hash;
        lastAt = row.at;
        expectedSeq++;
        count++;
      }
    }
  } finally {
    await pages.close();
  }
}

/**
 * Verifies the trail: first the checkpoints among themselves (signatures, numbering, links),
 * then the events against their predecessors, their MACs and the checkpoints, and finally that
 * the trail still reaches the newest checkpoint (nothing cut off its end).
 *
 * mode "full" (the default) walks every event from genesis. mode "since-checkpoint" starts at
 * the newest checkpoint: the event it covers must still carry the signed head hash (and its own
 * content, MAC and link), and every later event must follow it; an edit before that checkpoint
 * is left to the full verify, which is what the signed checkpoints and MACs are there for.
 */
export async function verifyAuditChain(options: TVerifyOptions = {}): Promise<TVerifyResult> {
  const mode = options.mode ?? "full";
  const needsKeyring = options.hmacKeys === undefined || options.trusted === undefined;
  const keyring = needsKeyring ? readAuditKeyring(auditPaths(env()).keyFile) : null;
  const hmacKeys = options.hmacKeys !== undefined ? options.hmacKeys : keyring ? new Map([...keyring.keys].map(([id, k]) => [id, k.hmac])) : null;
  const trusted = options.trusted ?? new Map([...(keyring?.keys ?? [])].map(([id, k]) => [id, k.publicKey]));
  const read = readCheckpoints(options.checkpointDir ?? auditPaths(env()).checkpointDir);

  const last = read.checkpoints.at(-1) ?? null;
  const summary: TVerifySummary = {
    mode,
    since: mode === "since-checkpoint" && last ? { checkpoint: last.index, seq: last.seq } : null,
    count: 0,
    headHash: GENESIS_HASH,
    macsChecked: hmacKeys !== null,
    legacy: 0,
    checkpoints: read.checkpoints.length,
    lastCheckpoint: last ? { index: last.index, seq: last.seq, at: last.at } : null,
    unanchored: 0,
  };
  const fileProblem = read.problem ?? checkCheckpoints(read.checkpoints, trusted);
  if (fileProblem) return { ok: false, ...summary, brokenAt: null, checkpoint: fileProblem.index, reason: fileProblem.reason };

  const legacyThrough = read.checkpoints[0]?.legacyThrough ?? null;
  let from = { seq: 0, hash: GENESIS_HASH };
  const bySeq = new Map<number, TCheckpoint[]>();
  if (summary.since && last && last.seq > 0) {
    // One row: the newest checkpoint's own event. The walk re-checks it (content, MAC, the signed
    // head hash) from its stored predecessor link, then follows the chain to the end.
    const anchor = await db.auditEvent.findUnique({ where: { seq: last.seq }, select: { prevHash: true } });
    if (!anchor) {
      const head = (await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } }))?.seq ?? 0;
      if (head < last.seq) return { ok: false, ...summary, ...cutSince(last, head) };
      return { ok: false, ...summary, brokenAt: last.seq, checkpoint: last.index, reason: `event #${last.seq} is missing: checkpoint ${last.index} (signed ${last.at}) covers the trail up to it` };
    }
    from = { seq: last.seq - 1, hash: anchor.prevHash };
    bySeq.set(last.seq, [last]);
  } else {
    for (const c of read.checkpoints) bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);
  }
  const r = await verifyRange({ from, hmacKeys, legacyThrough, checkpointsBySeq: bySeq, pageSize: options.pageSize });
  const result = { ...summary, count: r.count, headHash: r.headHash, legacy: r.legacy, unanchored: Math.max(0, r.headSeq - (last?.seq ?? 0)) };
  if (r.failure) return { ok: false, ...result, ...r.failure };
  if (last && r.headSeq < last.seq) return { ok: false, ...result, ...cutSince(last, r.headSeq) };
  return { ok: true, ...result };
}

function cutSince(last: TCheckpoint, headSeq: number): TFailure {
  const missing = last.seq - headSeq;
  return {
    brokenAt: headSeq + 1,
    checkpoint: last.index,
    reason: `the newest ${missing} event${missing === 1 ? " is" : "s are"} missing since checkpoint ${last.index}: it covers the trail up to #${last.seq} (signed ${last.at}), which now ends at #${headSeq}`,
  };
}
