import type { Response } from "@playwright/test";
import { expect, test } from "./fixtures";
import { columnTexts, filterSessions, keepScreenshot, unique } from "./support/sessions";

// Issue 14: with the sessions page open, a bulk job's progress updates the rows that changed
// (read by id in POST /api/sessions/rows and patched into the page) instead of refetching the
// whole list on every event. 20 sessions over the 5 demo computers, disconnected in one job.
const COMPUTERS = ["Server01", "Server12", "Srv1", "Srv2", "Srv30"];
const PER_COMPUTER = 4;

test("a bulk disconnect updates the rows on the open sessions page without refetching the list per event", async ({ pageAs, playwright, baseURL }, testInfo) => {
  test.setTimeout(180_000);
  const page = await pageAs("manager");

  // Twenty sessions made through the REST API (quicker than twenty dialogs), as the manager.
  await page.goto("/tokens");
  const tokenName = unique("rows");
  await page.getByLabel("Name").fill(tokenName);
  await page.getByLabel("Expires after").selectOption("7");
  await page.getByRole("button", { name: "Make token" }).click();
  await expect(page.getByLabel("New token")).toHaveValue(/^baton_pat_/);
  const api = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${await page.getByLabel("New token").inputValue()}` } });
  const computers = (await (await page.request.get("/api/computers")).json()) as { id: string; name: string }[];
  const prefix = unique("Rows");
  const ids: string[] = [];
  await Promise.all(
    COMPUTERS.map(async (name) => {
      const computer = computers.find((c) => c.name === name);
      if (!computer) throw new Error(`no demo computer ${name} in ${computers.map((c) => c.name).join(", ")}`);
      for (let i = 0; i < PER_COMPUTER; i++) {
        const made = await api.post("/api/v1/sessions", { data: { computerId: computer.id, name: `${prefix}-${name}-${i}`, configurationName: "Microsoft.PowerShell" } });
        expect(made.status(), await made.text()).toBe(201);
        ids.push(((await made.json()) as { data: { id: string } }).data.id);
      }
    }),
  );
  const total = COMPUTERS.length * PER_COMPUTER;

  await filterSessions(page, { name: `${prefix}*` });
  await expect.poll(() => columnTexts(page, "State")).toEqual(Array(total).fill("Opened"));

  // From here on: whole-list reads (GET /api/sessions) and rows reads (POST /api/sessions/rows).
  const listReads: string[] = [];
  const rowsReads: string[][] = [];
  const rowsAnswers: Promise<{ rows: { id: string; state: string }[] }>[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname === "/api/sessions" && r.method() === "GET") listReads.push(url.search);
    if (url.pathname === "/api/sessions/rows" && r.method() === "POST") rowsReads.push((r.postDataJSON() as { ids: string[] }).ids);
  });
  page.on("response", (r: Response) => {
    if (new URL(r.url()).pathname === "/api/sessions/rows") rowsAnswers.push(r.json());
  });

  await page.getByLabel("Select all sessions on this page").check();
  await page.getByRole("button", { name: `Disconnect ${total} selected` }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: `Disconnect ${total} sessions` }).click();
  await expect(dialog.getByRole("status").filter({ hasText: `Finished: ${total} of ${total} done` })).toBeVisible({ timeout: 60_000 });
  await expect(dialog.getByText(`${total} succeeded`)).toBeVisible();
  // The rows behind the dialog follow the job.
  await expect.poll(() => columnTexts(page, "State"), { timeout: 20_000 }).toEqual(Array(total).fill("Disconnected"));

  // The rows came from rows reads of these sessions, not from list reads: the page read the list
  // at most twice (the dialog refreshes it once when the job finishes), whatever the events.
  expect(rowsReads.length).toBeGreaterThanOrEqual(1);
  const patched = new Map((await Promise.all(rowsAnswers)).flatMap((a) => a.rows.map((r) => [r.id, r.state] as const)));
  expect(ids.filter((id) => patched.get(id) === "Disconnected").length).toBeGreaterThan(0);
  expect(listReads.length, `list reads during the job: ${JSON.stringify(listReads)}`).toBeLessThanOrEqual(2);
  testInfo.annotations.push({ type: "reads", description: `${listReads.length} list reads, ${rowsReads.length} rows reads during the job` });

  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => columnTexts(page, "State")).toEqual(Array(total).fill("Disconnected"));
  await keepScreenshot(page, testInfo, "sessions-after-bulk-disconnect", { fullPage: true });

  for (const id of ids) await api.delete(`/api/v1/sessions/${id}`);
  await api.dispose();
});
