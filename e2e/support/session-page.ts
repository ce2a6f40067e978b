import { expect, type Locator, type Page } from "@playwright/test";

// The session's own page as a user drives it: its live terminal, the Run command form, the
// Command history (with exit codes), and the dialogs its action bar opens.

export const terminal = (page: Page) => page.getByTestId("terminal");
export const notAttached = (page: Page) => page.getByTestId("terminal-unavailable");

/** Waits until the browser's terminal is attached to the session (the viewer holds it). */
export async function expectTerminalAttached(page: Page) {
  await expect(terminal(page)).toHaveAttribute("data-status", "attached", { timeout: 20_000 });
}

/** Types keys into the live terminal (xterm's hidden textarea gets the focus on click). */
export async function pressInTerminal(page: Page, key: string) {
  await terminal(page).click();
  await expect(page.locator(".xterm-helper-textarea")).toBeFocused();
  await page.keyboard.press(key);
}

/** Invoke-Command -Session: fills "Command to run", presses Run and waits for "Started: …". */
export async function runCommand(page: Page, command: string) {
  await page.getByLabel("Command to run").fill(command);
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: `Started: ${command}` })).toBeVisible({ timeout: 20_000 });
}

/** Rows of the session page's "Command history" whose command is exactly `command` (optionally by one user). */
export function commandRows(page: Page, command: string, by?: string): Locator {
  const rows = page
    .getByRole("table", { name: "Command history" })
    .locator("tbody tr")
    .filter({ has: page.locator("code").getByText(command, { exact: true }) });
  return by ? rows.filter({ has: page.getByRole("cell", { name: by, exact: true }) }) : rows;
}

/** The "Exit code" cell of the one history row for `command` (by `by`). */
export function exitCodeOf(page: Page, command: string, by?: string): Locator {
  return commandRows(page, command, by).locator("td").nth(4);
}

/** Disconnect from the session page's action bar with the dialog's defaults. */
export async function disconnectHere(page: Page, label: string) {
  await page.getByRole("button", { name: `Disconnect ${label}` }).click();
  const dialog = page.getByRole("dialog", { name: `Disconnect ${label}` });
  await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
}

/** Hand off from the session page: the named user and the reason; waits for the dialog to close. */
export async function handOffHere(page: Page, label: string, toUsername: string, reason: string) {
  await page.getByRole("button", { name: `Hand off ${label}` }).click();
  const dialog = page.getByRole("dialog", { name: `Hand off ${label}` });
  await dialog.getByLabel("Hand to (username)").fill(toUsername);
  await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByRole("button", { name: "Hand off", exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
}

/** Every session action button a page could offer (list rows and the session page alike). */
export const SESSION_ACTION_BUTTON = /^(New session|Disconnect|Connect|Receive|Remove|Hand off|Take over|Run)\b/;

/**
 * Opens the sessions list and waits for its live channel, which also means the page has
 * hydrated: a filter changed before that would be lost (the select's change reaches no handler).
 */
export async function openSessionsList(page: Page, query = "") {
  await page.goto(`/sessions${query}`);
  await expect(page.locator("[data-live-status=live]")).toBeVisible({ timeout: 20_000 });
}

type TNoticeWindow = { __notices?: { text: string; href: string | null }[] };

/**
 * Starts keeping every info notice (role=status) the page shows, with its link, for the life of
 * the document. The sessions list shows one notice at a time and the newest replaces it, so a
 * handoff that other tests make to the same user can replace this test's notice before an
 * assertion looks; what was shown stays on record here.
 */
export async function recordNotices(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as TNoticeWindow;
    if (w.__notices) return;
    const seen: { text: string; href: string | null }[] = (w.__notices = []);
    const collect = () => {
      for (const el of document.querySelectorAll('[role="status"]')) {
        const text = (el.textContent ?? "").trim();
        const href = el.querySelector("a")?.getAttribute("href") ?? null;
        if (text && !seen.some((n) => n.text === text && n.href === href)) seen.push({ text, href });
      }
    };
    collect();
    new MutationObserver(collect).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["href"] });
  });
}

/** Waits until the page has shown a notice containing `text`; returns its link's href. */
export async function expectNoticeShown(page: Page, text: string): Promise<string | null> {
  let href: string | null = null;
  await expect
    .poll(
      async () => {
        const notices = await page.evaluate(() => (window as unknown as TNoticeWindow).__notices ?? []);
        const hit = notices.find((n) => n.text.includes(text));
        href = hit?.href ?? null;
        return !!hit;
      },
      { message: `a notice reading "${text}"`, timeout: 20_000 },
    )
    .toBe(true);
  return href;
}

/** The prompt bash shows before each command line (`root@Srv1:~# `). */
const PROMPT = /^[\w.-]+@[\w.-]+:[^\s]*[$#] /;

/**
 * Every line the browser terminal holds (scrollback included), as rendered text, without the
 * prompt before a command line (typed, or run from the console and shown as if typed).
 */
export async function terminalLines(page: Page): Promise<string[]> {
  const lines = await terminal(page).evaluate((el) => (el as HTMLElement & { batonLines?: () => string[] }).batonLines?.() ?? []);
  return lines.map((l) => l.replace(PROMPT, ""));
}

/** The numbers N of every line "<tag> N" in the terminal, top to bottom. */
export async function numberedLines(page: Page, tag: string): Promise<number[]> {
  const re = new RegExp(`^${tag} (\\d+)\\s*$`);
  return (await terminalLines(page)).flatMap((l) => {
    const m = l.match(re);
    return m ? [Number(m[1])] : [];
  });
}

/** Drops the page's live channel as a network blip would; socket.io reconnects by itself. */
export async function blipLiveChannel(page: Page) {
  await terminal(page).evaluate((el) => (el as HTMLElement & { batonBlip?: () => void }).batonBlip?.());
}
