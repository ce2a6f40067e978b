import { expect, type Page } from "@playwright/test";

// The auditor's pages as an auditor uses them: the trail's filter form (its values go to the
// URL), the rows of the "Audit events" table read by column header, the chain's verify badge,
// and a session's timeline.

export type TAuditFilterInput = { actor?: string; computer?: string; session?: string; action?: string; outcome?: "ok" | "refused" | "error" };
export type TAuditRowText = { seq: number; actor: string; role: string; action: string; target: string; outcome: string; detail: string };

export const auditTable = (page: Page) => page.getByRole("table", { name: "Audit events" });

const inUrl = (key: string, value: string) => new RegExp(`[?&]${key}=${encodeURIComponent(value).replace(/\./g, "\\.")}(&|$)`);

/**
 * Opens /audit and applies the filters through the form, waiting for the URL to carry each one
 * before the next: a select applies at once (a navigation), and a second change made before that
 * navigation lands would start from the form's previous values.
 */
export async function filterAudit(page: Page, filters: TAuditFilterInput) {
  await page.goto("/audit");
  await expect(page.locator("[data-live-status=live]")).toBeVisible({ timeout: 20_000 });
  const form = page.getByRole("search", { name: "Filter audit events" });
  const texts = [
    ["actor", "Actor"],
    ["computer", "Computer"],
    ["session", "Session"],
  ] as const;
  for (const [key, label] of texts) if (filters[key]) await form.getByLabel(label, { exact: true }).fill(filters[key]!);
  await form.getByRole("button", { name: "Apply" }).click();
  // A navigation: on a busy machine (two workers, agents and the console on two cores) it can take
  // longer than the default 10 s.
  for (const [key] of texts) if (filters[key]) await expect(page).toHaveURL(inUrl(key, filters[key]!), { timeout: 30_000 });
  for (const [key, label] of [
    ["action", "Action"],
    ["outcome", "Outcome"],
  ] as const) {
    if (!filters[key]) continue;
    await form.getByLabel(label, { exact: true }).selectOption(filters[key]!);
    await expect(page).toHaveURL(inUrl(key, filters[key]!), { timeout: 30_000 });
  }
  for (const [key, value] of Object.entries(filters)) if (value) await expect(page).toHaveURL(inUrl(key, value));
  // Not the previous filters' rows kept on screen while the new ones load.
  await expect(page.getByRole("region", { name: "Audit events" })).toHaveAttribute("aria-busy", "false");
  await expect(auditTable(page).or(page.getByText("No events match these filters"))).toBeVisible();
}

/** The rows on the page, newest first, each cell read under its column header. */
export async function auditRows(page: Page): Promise<TAuditRowText[]> {
  const table = auditTable(page);
  await expect(table).toBeVisible();
  const headers = (await table.getByRole("columnheader").allTextContents()).map((t) => t.trim());
  const col = (name: string) => {
    const i = headers.indexOf(name);
    if (i < 0) throw new Error(`no column "${name}" in ${JSON.stringify(headers)}`);
    return i;
  };
  const idx = { seq: col("#"), actor: col("Actor"), action: col("Action"), target: col("Target"), outcome: col("Outcome"), detail: col("Error and parameters") };
  return table.locator("tbody tr").evaluateAll(
    (trs, idx) =>
      trs.map((tr) => {
        const td = tr.querySelectorAll("td");
        const text = (i: number) => (td[i]?.textContent ?? "").trim();
        const actorCell = td[idx.actor];
        return {
          seq: Number(text(idx.seq)),
          actor: (actorCell?.querySelector("a")?.textContent ?? "").trim(),
          role: (actorCell?.querySelector("span")?.textContent ?? "").trim(),
          action: text(idx.action),
          target: text(idx.target),
          outcome: text(idx.outcome),
          detail: text(idx.detail),
        };
      }),
    idx,
  );
}

/** The verify badge's routine check (since the newest checkpoint), then its full verify of the whole chain. */
export async function expectChainIntact(page: Page) {
  const badge = page.getByTestId("verify-badge");
  await expect(badge).toHaveAttribute("data-state", "intact", { timeout: 60_000 });
  // Before the console's first checkpoint the routine check walks from the first event, and says so.
  await expect(badge).toContainText(/Chain intact since checkpoint \d+: [\d,]+ events? from #[\d,]+ on|Chain intact: [\d,]+ events?.*No signed checkpoint yet/);
  await badge.getByRole("button", { name: "Full verify" }).click();
  await expect(badge).toContainText(/Chain intact: [\d,]+ events/, { timeout: 60_000 });
  await expect(badge).toHaveAttribute("data-state", "intact");
}

export const timeline = (page: Page) => page.getByRole("list", { name: "Session timeline" });
