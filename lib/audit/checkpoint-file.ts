import { createHash, sign, verify, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

// Signed checkpoints, in the spirit of CloudTrail's digest files: files outside the database,
// each stating "the trail had `seq` events and its head hash was `headHash` at `at`", signed
// with Ed25519 and linked to the checkpoint before it. This file is the format only (no
// database, no secrets), so an auditor's verifier and the console's writer share it.

export const CHECKPOINT_FORMAT = "baton-audit-checkpoint/1";
const FILE = /^checkpoint-(\d{10})\.json$/;

export const ZCheckpoint = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  index: z.number().int().min(1),
  seq: z.number().int().min(0),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.iso.datetime(),
  // Events up to this seq were made before keyed auditing and carry no MAC; every later one must.
  legacyThrough: z.number().int().min(0),
  // SHA-256 of the previous checkpoint's signature; null for checkpoint 1.
  prev: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().min(1),
});
export type TCheckpoint = z.infer<typeof ZCheckpoint>;
export type TUnsignedCheckpoint = Omit<TCheckpoint, "signature">;

export const checkpointFileName = (index: number) => `checkpoint-${String(index).padStart(10, "0")}.json`;

/** The signed bytes: every field but the signature, in a fixed order. */
function payload(c: TUnsignedCheckpoint): Buffer {
  return Buffer.from(JSON.stringify([c.format, c.index, c.seq, c.headHash, c.at, c.legacyThrough, c.prev, c.keyId]));
}

export function signCheckpoint(c: TUnsignedCheckpoint, privateKey: KeyObject): TCheckpoint {
  return { ...c, signature: sign(null, payload(c), privateKey).toString("base64") };
}

export function checkpointSignatureValid(c: TCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, payload(c), publicKey, Buffer.from(c.signature, "base64"));
  } catch {
    return false;
  }
}

/** What the next checkpoint records as `prev`. */
export const checkpointLink = (c: TCheckpoint) => createHash("sha256").update(c.signature).digest("hex");

export type TCheckpointRead = { checkpoints: TCheckpoint[]; problem: { index: number | null; reason: string } | null };

/**
 * Every checkpoint in `dir`, in order. A file that is not a checkpoint, or that says it is a
 * different checkpoint than its name, is reported as the problem (the list stops before it).
 */
export function readCheckpoints(dir: string): TCheckpointRead {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { checkpoints: [], problem: null };
    throw err;
  }
  const indexed = names
    .map((n) => ({ name: n, index: Number(FILE.exec(n)?.[1] ?? NaN) }))
    .filter((f) => Number.isInteger(f.index))
    .sort((a, b) => a.index - b.index);
  const checkpoints: TCheckpoint[] = [];
  for (const f of indexed) {
    let parsed: TCheckpoint;
    try {
      parsed = ZCheckpoint.parse(JSON.parse(fs.readFileSync(path.join(dir, f.name), "utf8")));
    } catch {
      return { checkpoints, problem: { index: f.index, reason: `checkpoint ${f.index} (${f.name}) is not a readable checkpoint file` } };
    }
    if (parsed.index !== f.index) {
      return { checkpoints, problem: { index: f.index, reason: `checkpoint file ${f.name} says it is checkpoint ${parsed.index}` } };
    }
    checkpoints.push(parsed);
  }
  return { checkpoints, problem: null };
}

/** The newest checkpoint in `dir` alone (what the writer builds on), or null when there is none. */
export function readNewestCheckpoint(dir: string): TCheckpoint | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const newest = names.filter((n) => FILE.test(n)).sort().at(-1);
  if (!newest) return null;
  const index = Number(FILE.exec(newest)![1]);
  let parsed: TCheckpoint;
  try {
    parsed = ZCheckpoint.parse(JSON.parse(fs.readFileSync(path.join(dir, newest), "utf8")));
  } catch {
    throw new Error(`checkpoint ${index} (${newest}) is not a readable checkpoint file`);
  }
  if (parsed.index !== index) throw new Error(`checkpoint file ${newest} says it is checkpoint ${parsed.index}`);
  return parsed;
}

/**
 * Checks the checkpoints among themselves: numbered 1, 2, 3… without a gap, each signed by a
 * trusted key and linked to the one before, none covering fewer events than its predecessor.
 * Returns the first problem, or null.
 */
export function checkCheckpoints(checkpoints: TCheckpoint[], trusted: Map<string, KeyObject>): { index: number; reason: string } | null {
  let before: TCheckpoint | null = null;
  for (const c of checkpoints) {
    const expected = before ? before.index + 1 : 1;
    if (c.index !== expected) {
      const gap = c.index - expected === 1 ? `checkpoint ${expected} is missing` : `checkpoints ${expected}–${c.index - 1} are missing`;
      return { index: expected, reason: `${gap} from the checkpoints directory` };
    }
    const key = trusted.get(c.keyId);
    if (!key) return { index: c.index, reason: `checkpoint ${c.index} is signed by key ${c.keyId}, which is not among the trusted public keys` };
    if (!checkpointSignatureValid(c, key)) return { index: c.index, reason: `checkpoint ${c.index}'s signature is invalid: it was altered or forged` };
    if (c.prev !== (before ? checkpointLink(before) : null)) {
      return { index: c.index, reason: `checkpoint ${c.index} does not follow checkpoint ${c.index - 1} (its link to the previous checkpoint differs)` };
    }
    if (before && c.seq < before.seq) {
      return { index: c.index, reason: `checkpoint ${c.index} covers #${c.seq}, fewer events than checkpoint ${before.index} (#${before.seq})` };
    }
    before = c;
  }
  return null;
}
