import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { db } from "@/lib/db/client";
import { auditPaths, env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { GENESIS_HASH } from "@/lib/audit/chain";
import { CHECKPOINT_FORMAT, checkpointFileName, checkpointLink, checkpointSignatureValid, readNewestCheckpoint, signCheckpoint, type TCheckpoint } from "@/lib/audit/checkpoint-file";
import { auditKeyring } from "@/lib/audit/keys";
import { verifyRange } from "@/lib/audit/verify";

// The console's checkpoint writer: every BATON_AUDIT_CHECKPOINT_EVERY events, every
// BATON_AUDIT_CHECKPOINT_SECONDS while events arrive, at start and at shutdown. It signs only a
// head it has verified from the previous checkpoint (SHA-256 links and MACs), so a rewrite made
// in the database between two checkpoints is refused rather than signed.

export class CheckpointRefused extends Error {}

type TState = { running?: Promise<TCheckpoint | null>; sinceLast: number; timer?: NodeJS.Timeout; highestAppended: number };
const g = globalThis as typeof globalThis & { __batonAuditCheckpoints?: TState };
const state = (): TState => (g.__batonAuditCheckpoints ??= { sinceLast: 0, highestAppended: 0 });

/** Forgets what this process appended (tests that empty the table behind the app's back). */
export function forgetAuditCheckpointState(): void {
  const s = state();
  s.sinceLast = 0;
  s.highestAppended = 0;
}

/** Called by the appender after each committed event; writes a checkpoint every N events. */
export function noteAuditAppended(seq: number): void {
  const s = state();
  s.highestAppended = Math.max(s.highestAppended, seq);
  if (++s.sinceLast >= env().BATON_AUDIT_CHECKPOINT_EVERY) void writeAuditCheckpoint().catch(() => undefined);
}

/**
 * Writes the next checkpoint if the trail grew since the last one; returns it, or null when
 * there was nothing new. Concurrent calls in one process share one write; several console
 * instances sharing the directory each claim the next number atomically, and one that loses
 * the race re-reads and, if the winner already covers its head, writes nothing.
 */
export function writeAuditCheckpoint({ dir = auditPaths(env()).checkpointDir }: { dir?: string } = {}): Promise<TCheckpoint | null> {
  const s = state();
  s.running ??= (async () => {
    try {
      s.sinceLast = 0;
      return await writeNow(dir);
    } catch (err) {
      logger.error({ err: (err as Error).message }, "audit checkpoint not written");
      throw err;
    } finally {
      s.running = undefined;
    }
  })();
  return s.running;
}

async function writeNow(dir: string): Promise<TCheckpoint | null> {
  const keyring = auditKeyring();
  // Checkpoints are not secret (auditors read them); only the console may write them.
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 20; attempt++) {
    // The next checkpoint builds on the newest one, so that one's signature must hold; checking
    // the whole directory is the verifier's job.
    let last: TCheckpoint | null;
    try {
      last = readNewestCheckpoint(dir);
    } catch (err) {
      throw new CheckpointRefused((err as Error).message);
    }
    const lastKey = last && keyring.keys.get(last.keyId);
    if (last && !(lastKey && checkpointSignatureValid(last, lastKey.publicKey))) {
      throw new CheckpointRefused(`checkpoint ${last.index}'s signature is invalid: it was altered or forged`);
    }
    const head = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
    const headSeq = head?.seq ?? 0;
    const highest = state().highestAppended;
    if (headSeq < highest) throw new CheckpointRefused(`the trail ends at #${headSeq} but this console appended up to #${highest}: the newest events were deleted`);
    if (last && headSeq < last.seq) throw new CheckpointRefused(`the trail ends at #${headSeq} but checkpoint ${last.index} covers #${last.seq}: the newest events were deleted`);
    if (headSeq === 0 || (last && headSeq === last.seq)) return null;

    const range = await verifyRange({
      from: last ? { seq: last.seq, hash: last.headHash } : { seq: 0, hash: GENESIS_HASH },
      through: headSeq,
      hmacKeys: new Map([...keyring.keys].map(([id, k]) => [id, k.hmac])),
      legacyThrough: last ? last.legacyThrough : null,
    });
    if (range.failure) throw new CheckpointRefused(`refusing to sign the trail: ${range.failure.reason}`);
    if (range.headSeq !== headSeq) throw new CheckpointRefused(`refusing to sign the trail: it ends at #${range.headSeq}, expected #${headSeq}`);

    const checkpoint = signCheckpoint(
      {
        format: CHECKPOINT_FORMAT,
        index: (last?.index ?? 0) + 1,
        seq: headSeq,
        headHash: range.headHash,
        at: new Date().toISOString(),
        legacyThrough: last ? last.legacyThrough : range.lastLegacy,
        prev: last ? checkpointLink(last) : null,
        keyId: keyring.current.id,
      },
      keyring.current.signing,
    );
    if (publish(dir, checkpoint)) {
      logger.info({ index: checkpoint.index, seq: checkpoint.seq, keyId: checkpoint.keyId }, "audit checkpoint written");
      return checkpoint;
    }
  }
  throw new CheckpointRefused("could not claim the next checkpoint number after 20 attempts");
}

/** Writes the file under its final name only if that name is free (link() is atomic). */
function publish(dir: string, checkpoint: TCheckpoint): boolean {
  const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  fs.writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o644, flag: "wx" });
  try {
    const fd = fs.openSync(tmp, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.linkSync(tmp, path.join(dir, checkpointFileName(checkpoint.index)));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Starts the timer (server.ts): a checkpoint now if the trail moved, then every T seconds. */
export function startAuditCheckpoints(): void {
  const s = state();
  if (s.timer) return;
  const tick = () => void writeAuditCheckpoint().catch(() => undefined);
  tick();
  s.timer = setInterval(tick, env().BATON_AUDIT_CHECKPOINT_SECONDS * 1000);
  s.timer.unref();
}

/** Stops the timer and writes a last checkpoint (shutdown). */
export async function stopAuditCheckpoints(): Promise<void> {
  const s = state();
  if (s.timer) clearInterval(s.timer);
  s.timer = undefined;
  await s.running?.catch(() => undefined);
  await writeAuditCheckpoint().catch(() => undefined);
}
