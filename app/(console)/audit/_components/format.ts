// Display helpers for the auditor's pages. Times are shown in UTC, like the filters take them.

/** "2026-11-24 06:33:02" from an ISO instant. */
export const utc = (iso: string) => iso.replace("T", " ").slice(0, 19);

export const OUTCOME_TONE = { ok: "good", refused: "warn", error: "bad" } as const;
export const outcomeTone = (outcome: string) => OUTCOME_TONE[outcome as keyof typeof OUTCOME_TONE] ?? "neutral";

/** Parameters as recorded (JSON text), pretty-printed when they parse. */
export function prettyParams(params: string): string {
  try {
    return JSON.stringify(JSON.parse(params), null, 2);
  } catch {
    return params;
  }
}

export const count = (n: number) => n.toLocaleString("en-US");
