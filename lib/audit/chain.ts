import { createHash } from "node:crypto";

// The hash chain's definition, shared by the appender and the verifier.
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
