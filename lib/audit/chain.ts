import { createHash, createHmac, timingSafeEqual } from "node:crypto";

// The chain's definition, shared by the appender, the checkpoint writer and the verifier.
// Two layers (docs/security.md, "Audit integrity"): `hash` is a plain SHA-256 chain that anyone
// can recompute, anchored by signed checkpoints kept outside the database; `mac` is an HMAC
// over the key id and `hash` (so over the whole chain up to the event) under a secret key, so
// that a key holder can tell any event from one made without the key.
export const GENESIS_HASH = "0".repeat(64);

export type TChainFields = {
  seq: number;
  at: Date;
  actorId: string | null;
  actorName: string;
  actorRole: string;
  action: string;
  outcome: string;
  computerName: string | null;
  sessionId: string | null;
  sessionName: string | null;
  params: string;
  error: string | null;
};

export function eventHash(prevHash: string, e: TChainFields): string {
  // A JSON array keeps field boundaries unambiguous; seq in the hash makes reordering detectable.
  const canonical = JSON.stringify([
    e.seq,
    e.at.toISOString(),
    e.actorId,
    e.actorName,
    e.actorRole,
    e.action,
    e.outcome,
    e.computerName,
    e.sessionId,
    e.sessionName,
    e.params,
    e.error,
  ]);
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
}

export function eventMac(key: Buffer, keyId: string, hash: string): string {
  return createHmac("sha256", key).update("baton-audit-mac/1\n").update(keyId).update("\n").update(hash).digest("hex");
}

export function macMatches(key: Buffer, keyId: string, hash: string, mac: string): boolean {
  const expected = Buffer.from(eventMac(key, keyId, hash), "hex");
  const given = Buffer.from(mac, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
