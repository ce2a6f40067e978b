import type { TVerifyResult } from "@/lib/audit/verify";

// The verdict in words, the same for `npm run audit:verify` and the audit page's badge: what
// is wrong (an event, a checkpoint, the trail's end), then what protected what was verified.

const n = (x: number) => x.toLocaleString("en-US");
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
const when = (iso: string) => `${iso.replace("T", " ").slice(0, 19)} UTC`;

export function describeVerification(r: TVerifyResult): { headline: string; details: string[] } {
  const headline = r.ok
    ? r.since
      ? `Chain intact since checkpoint ${r.since.checkpoint}: ${plural(r.count, "event")} from #${n(r.since.seq)} on`
      : `Chain intact: ${plural(r.count, "event")}`
    : r.brokenAt !== null
      ? `Chain broken at #${r.brokenAt}: ${r.reason}`
      : `Checkpoints broken: ${r.reason}`;
  const details: string[] = [];
  // A routine check must never read as a full one.
  if (r.since) {
    details.push(
      `Routine check since checkpoint ${r.since.checkpoint}, not a full verify: events before #${n(r.since.seq)} were not re-read; they are covered by the signed checkpoints and the last full verify.`,
    );
  }
  if (!r.ok) details.push(`${plural(r.count, "event")} verified before the problem.`);
  details.push(
    r.lastCheckpoint
      ? `${plural(r.checkpoints, "signed checkpoint")}; the newest, checkpoint ${r.lastCheckpoint.index}, covers #${r.lastCheckpoint.seq} (${when(r.lastCheckpoint.at)}).`
      : "No signed checkpoint yet: nothing anchors the trail outside the database.",
  );
  if (r.unanchored > 0) {
    details.push(
      r.macsChecked
        ? `${plural(r.unanchored, "event")} after the newest checkpoint ${r.unanchored === 1 ? "is" : "are"} protected by the audit key (MAC) only.`
        : `${plural(r.unanchored, "event")} after the newest checkpoint could not be authenticated: MACs are not checked without the audit key.`,
    );
  }
  if (r.legacy > 0) details.push(`${plural(r.legacy, "event")} from before keyed auditing ${r.legacy === 1 ? "carries" : "carry"} no MAC (plain SHA-256 chain).`);
  return { headline, details };
}
