import path from "node:path";
import { expect, type Locator, type Page, type TestInfo } from "@playwright/test";

// Helpers for the sessions console as a user drives it: the New session dialog, the list's
// filters, a row found by the session's console id (so tests that must use a fixed name, like
// the help page's "ITTask", only ever look at the session they created), its cells by column
// header, and the session page's properties.

export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

export type TNewSession = { computer: string; name: string; configuration?: string; idleTimeoutSec?: number };

/** New session through the dialog on /sessions; returns the new session's console id. */
export async function newSession(page: Page, { computer, name, configuration, idleTimeoutSec }: TNewSession): Promise<string> {
  await page.goto("/sessions");
  await page.getByRole("button", { name: "New session" }).click();
  const dialog = page.getByRole("dialog", { name: "New session" });
  await dialog.getByLabel("Computer").selectOption({ label: computer });
  await dialog.getByLabel("Session name").fill(name);
  if (configuration) await dialog.getByLabel("Configuration").selectOption({ label: configuration });
  if (idleTimeoutSec !== undefined) await dialog.getByLabel("Idle timeout (seconds)").fill(String(idleTimeoutSec));
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
  const created = page.getByRole("status").filter({ hasText: `Created ${name} on ${computer} (Opened, Available)` });
  await expect(created).toBeVisible();
  const href = await created.getByRole("link", { name: "Open its terminal" }).getAttribute("href");
  const id = href?.match(/^\/sessions\/([a-z0-9]+)$/)?.[1];
  if (!id) throw new Error(`no session link in "${await created.textContent()}"`);
  return id;
}

/** Get-PSSession -ComputerName … -Name …: the list's own filters, applied and in the URL. */
export async function filterSessions(page: Page, { computer, name }: { computer?: string; name?: string }) {
  if (new URL(page.url()).pathname !== "/sessions") await page.goto("/sessions");
  // The live channel is up once the page has hydrated: a filter changed before that reaches no handler.
  await expect(page.locator("[data-live-status=live]")).toBeVisible({ timeout: 20_000 });
  await page.getByLabel("Computer", { exact: true }).selectOption(computer ?? "");
  if (computer) await expect(page).toHaveURL(new RegExp(`[?&]computer=${computer}(&|$)`));
  const nameBox = page.getByLabel("Name", { exact: true });
  await nameBox.fill(name ?? "");
  await nameBox.press("Enter");
  if (name) await expect(page).toHaveURL(new RegExp(`[?&]name=${encodeURIComponent(name).replace(/\*/g, "\\*")}(&|$)`));
}

export const sessionsTable = (page: Page) => page.getByRole("table", { name: "Sessions" });
export const rowOf = (page: Page, sessionId: string) => page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);

/** The header texts of the sessions table, in order (sort arrows removed). */
async function headers(page: Page): Promise<string[]> {
  const texts = await sessionsTable(page).getByRole("columnheader").allTextContents();
  return texts.map((t) => t.replace(/[▲▼]/g, "").trim());
}

/** A row's cell under the column headed `column` (the checkbox column exists only for roles that act). */
export async function cellOf(page: Page, row: Locator, column: string): Promise<Locator> {
  await expect(sessionsTable(page)).toBeVisible();
  const index = (await headers(page)).indexOf(column);
  if (index < 0) throw new Error(`no column "${column}" in ${JSON.stringify(await headers(page))}`);
  return row.getByRole("cell").nth(index);
}

/** The text of one column in every row on the page, top to bottom. */
export async function columnTexts(page: Page, column: string): Promise<string[]> {
  const index = (await headers(page)).indexOf(column);
  if (index < 0) throw new Error(`no column "${column}"`);
  return (await sessionsTable(page).locator(`[data-testid="session-row"] > td:nth-child(${index + 1})`).allTextContents()).map((t) => t.trim());
}

/** Each named column of the row reads exactly the given text (waits for live updates). */
export async function expectRow(page: Page, row: Locator, columns: Record<string, string | RegExp>) {
  await expect(row).toBeVisible();
  for (const [column, text] of Object.entries(columns)) await expect(await cellOf(page, row, column), `column ${column}`).toHaveText(text);
}

/** The help page's columns, in its order. */
export const HELP_COLUMNS = ["Id", "Name", "ComputerName", "State", "ConfigurationName", "Availability"] as const;

/** A value on a session's page, by its label in the Properties list. */
export const property = (page: Page, label: string) => page.locator(`dl[aria-label="Session properties"] > div > dt:text-is("${label}") + dd`);

export async function openDisconnectDialog(page: Page, row: Locator, label: string) {
  await row.getByRole("button", { name: `Disconnect ${label}` }).click();
  const dialog = page.getByRole("dialog", { name: `Disconnect ${label}` });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Disconnect from the row, optionally with IdleTimeoutSec and OutputBufferingMode, and wait for the dialog to close. */
export async function disconnectFromRow(page: Page, row: Locator, label: string, opts: { idleTimeoutSec?: number; mode?: "Block" | "Drop" | "None" } = {}) {
  const dialog = await openDisconnectDialog(page, row, label);
  if (opts.idleTimeoutSec !== undefined) await dialog.getByLabel("Idle timeout (seconds)").fill(String(opts.idleTimeoutSec));
  if (opts.mode) await dialog.getByLabel("Output buffering mode").selectOption(opts.mode);
  await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
}

/** Remove-PSSession from the list (the test's own clean-up): finds the row by id whatever the filters. */
export async function removeSession(page: Page, sessionId: string, label: string) {
  await page.goto(`/sessions/${sessionId}`);
  const remove = page.getByRole("button", { name: `Remove ${label}` });
  if ((await remove.count()) === 0) return; // already closed
  await remove.click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
  await expect(page.getByRole("dialog")).toBeHidden({ timeout: 20_000 });
}

export const SCREENSHOT_DIR = path.join(import.meta.dirname, "..", "..", "docs", "screenshots");

/** A screenshot kept in docs/screenshots/ and attached to the test's report as an artifact. */
export async function keepScreenshot(target: Page | Locator, testInfo: TestInfo, name: string, opts: { fullPage?: boolean } = {}) {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  if ("goto" in target) await target.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  else await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

export const cookieHeader = async (page: Page) => {
  const c = (await page.context().cookies()).find((x) => x.name === "baton_session");
  if (!c) throw new Error("no baton_session cookie");
  return `baton_session=${c.value}`;
};
