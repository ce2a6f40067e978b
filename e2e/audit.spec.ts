import fs from "node:fs";
import type { Browser, Page, TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";

// The auditor's pages: filters kept in the URL, export of the filtered set, the chain badge,
// the session timeline with its transcript, command search, and no way in for other roles.

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

/** Refused sign-ins under a name nobody has: events only this test can have written. */
async function refusedSignIns(browser: Browser, username: string, times: number) {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (let i = 0; i < times; i++) {
    for (;;) {
      await page.goto("/sign-in");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert").filter({ hasText: /Wrong username or password\.|Too many failed sign-ins/ });
      await expect(alert).toBeVisible();
      // The account's throttle asks for a pause after a failure (a second after the first): a
      // fast browser can be back before it ends. Wait as long as it says, then try again.
      const pause = (await alert.textContent())?.match(/try again in (\d+) seconds?/);
      if (!pause) break;
      await page.waitForTimeout(Number(pause[1]) * 1000);
    }
    await expect(page.getByRole("alert").filter({ hasText: "Wrong username or password." })).toBeVisible();
  }
  await context.close();
}

// For review, attached to the report; docs/screenshots/audit.png is a reviewed copy, not
// rewritten by every run.
async function keepScreenshot(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(name);
  await expect(page.locator("[data-live-status=live]")).toBeVisible();
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

const auditRows = (page: Page) => page.getByRole("table", { name: "Audit events" }).locator("tbody tr");

test("an auditor filters by action, outcome and actor; the URL keeps them through a reload; CSV export has exactly those rows", async ({ pageAs, browser }) => {
  const intruder = unique("nobody");
  await refusedSignIns(browser, intruder, 2);

  const page = await pageAs("auditor");
  await page.goto("/audit");
  await page.getByLabel("Action").selectOption("auth.sign-in");
  await expect(page).toHaveURL(/[?&]action=auth\.sign-in/);
  await page.getByLabel("Outcome").selectOption("refused");
  await expect(page).toHaveURL(/[?&]outcome=refused/);
  await page.getByLabel("Actor").fill(intruder);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]actor=${intruder}`));
  // Two wrong passwords for one name within the throttle window are one audited row (failed
  // sign-ins are audited in aggregate so the trail cannot be flooded).
  await expect(auditRows(page)).toHaveCount(1);
  for (const row of await auditRows(page).all()) {
    await expect(row).toContainText("auth.sign-in");
    await expect(row).toContainText("refused");
    await expect(row).toContainText(intruder);
  }

  await page.reload();
  await expect(page.getByLabel("Action")).toHaveValue("auth.sign-in");
  await expect(page.getByLabel("Outcome")).toHaveValue("refused");
  await expect(page.getByLabel("Actor")).toHaveValue(intruder);
  await expect(auditRows(page)).toHaveCount(1);

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^baton-audit-\d{8}T\d{6}Z\.csv$/);
  const csv = fs.readFileSync((await download.path())!, "utf8");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toBe('"seq","at","actorId","actorName","actorRole","action","outcome","computerName","sessionId","sessionName","params","error","prevHash","hash","keyId","mac"');
  expect(lines).toHaveLength(2);
  for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^\\d+,"[^"]+",,"${intruder}","none","auth\\.sign-in","refused",`));

  // JSON: the same rows, exactly as hashed, so the set can be re-verified elsewhere.
  const json = await page.request.get(`/api/audit/export?format=json&action=auth.sign-in&outcome=refused&actor=${intruder}`);
  expect(json.headers()["content-disposition"]).toMatch(/^attachment; filename="baton-audit-\d{8}T\d{6}Z\.json"$/);
  const body = (await json.json()) as { filters: Record<string, string>; count: number; events: { actorName: string; hash: string; prevHash: string }[] };
  expect(body.filters).toEqual({ actor: intruder, action: "auth.sign-in", outcome: "refused" });
  expect(body.count).toBe(1);
  expect(body.events.map((e) => e.actorName)).toEqual([intruder]);
  expect(body.events[0].hash).toMatch(/^[0-9a-f]{64}$/);

  // The export itself is in the trail.
  await page.goto("/audit?action=audit.export");
  await expect(auditRows(page).first()).toContainText(intruder);

  // A bad parameter is named, and nothing is shown rather than a wider set than asked for.
  await page.goto("/audit?outcome=maybe&action=auth.sign-in");
  await expect(page.getByRole("alert").filter({ hasText: "outcome" })).toContainText("“maybe”");
  await expect(page.getByRole("table", { name: "Audit events" })).toHaveCount(0);
});

test("new events appear on the newest page without a reload", async ({ pageAs, browser }) => {
  const page = await pageAs("auditor");
  await page.goto("/audit?action=auth.sign-in&outcome=refused");
  await expect(page.locator("[data-live-status=live]")).toBeVisible();
  const late = unique("late");
  await refusedSignIns(browser, late, 1);
  await expect(auditRows(page).first()).toContainText(late);
});

test("the verify badge checks the chain since the newest checkpoint, says it is not a full verify, and runs a full one on request", async ({ pageAs }, testInfo) => {
  const page = await pageAs("auditor");
  await page.goto("/audit");
  test.slow();
  const badge = page.getByTestId("verify-badge");
  // The console signs its first checkpoint within BATON_AUDIT_CHECKPOINT_SECONDS (60) of events
  // arriving; until then the routine check has nothing to start from and walks from the first event.
  await expect(async () => {
    await page.reload();
    await expect(badge).toHaveAttribute("data-state", "intact", { timeout: 30_000 });
    await expect(badge).toContainText(/Chain intact since checkpoint \d+: [\d,]+ events? from #[\d,]+ on/, { timeout: 1000 });
  }).toPass({ timeout: 120_000, intervals: [5000] });
  await expect(badge).toContainText("not a full verify");
  await keepScreenshot(page, testInfo, "audit-verify-since-checkpoint.png");
  await badge.getByRole("button", { name: "Full verify" }).click();
  await expect(badge).toContainText(/Chain intact: [\d,]+ events/, { timeout: 60_000 });
  await expect(badge).toContainText("Every event re-hashed");
  await expect(badge).not.toContainText("not a full verify");
  await keepScreenshot(page, testInfo, "audit-verify-full.png");
});

test("a session's timeline shows its creation and commands, the transcript replays, and command search finds it", async ({ pageAs }, testInfo) => {
  const tech = await pageAs("technician");
  const name = unique("AuditTl");
  const marker = unique("marker");
  await tech.goto("/sessions");
  await tech.getByRole("button", { name: "New session" }).click();
  const dialog = tech.getByRole("dialog", { name: "New session" });
  await dialog.getByLabel("Computer").selectOption({ label: "Srv2" });
  await dialog.getByLabel("Session name").fill(name);
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
  const created = tech.getByRole("status").filter({ hasText: `Created ${name} on Srv2` });
  const href = await created.getByRole("link").first().getAttribute("href");
  const sessionId = href!.split("/").pop()!;
  await tech.goto(`/sessions/${sessionId}`);
  await tech.getByLabel("Command to run").fill(`echo ${marker}`);
  await tech.getByRole("button", { name: "Run", exact: true }).click();
  await expect(tech.getByText(`Started: echo ${marker}`)).toBeVisible();

  const auditor = await pageAs("auditor");
  await auditor.goto(`/audit/commands?q=${marker}`);
  const hit = auditor.getByRole("table", { name: "Commands run in sessions" }).locator("tbody tr");
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText(`echo ${marker}`);
  await keepScreenshot(auditor, testInfo, "audit-commands.png");
  await hit.getByRole("link", { name }).click();

  await expect(auditor).toHaveURL(new RegExp(`/audit/sessions/${sessionId}`));
  await expect(auditor.getByRole("heading", { name: `Session ${name} on Srv2` })).toBeVisible();
  const timeline = auditor.getByRole("list", { name: "Session timeline" });
  await expect(timeline).toContainText("session.new");
  await expect(timeline).toContainText(`$ echo ${marker}`);
  await expect(timeline).toContainText("session.run");

  await auditor.getByRole("button", { name: "Show all" }).click();
  await expect(auditor.getByTestId("transcript-terminal")).toContainText(`echo ${marker}`);
  // Read-only: nothing on the page acts on the session.
  await expect(auditor.getByRole("button", { name: /^(Disconnect|Connect|Receive|Remove|Hand|Take over|Run)\b/ })).toHaveCount(0);
  await keepScreenshot(auditor, testInfo, "audit-session-timeline.png");
  await auditor.goto("/audit");
  await expect(auditor.getByTestId("verify-badge")).toHaveAttribute("data-state", "intact", { timeout: 30_000 });
  await keepScreenshot(auditor, testInfo, "audit.png");

  await tech.goto(`/sessions/${sessionId}`);
  await tech.getByRole("button", { name: `Remove ${name} on Srv2` }).click();
  await tech.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
  await expect(tech.getByRole("dialog")).toBeHidden({ timeout: 20_000 });
});

test("keyset paging walks older and back to newer through the URL", async ({ pageAs }) => {
  const page = await pageAs("auditor");
  // More than a page of events: every export is itself audited.
  for (let i = 0; i < 30; i++) expect((await page.request.get("/api/audit/export?format=json&action=e2e.nothing")).ok()).toBe(true);
  await page.goto("/audit?size=25");
  const firstPage = await auditRows(page).first().getAttribute("data-seq");
  await page.getByRole("link", { name: "Older →" }).first().click();
  await expect(page).toHaveURL(/[?&]before=\d+/);
  const olderTop = Number(await auditRows(page).first().getAttribute("data-seq"));
  expect(olderTop).toBeLessThan(Number(firstPage));
  await page.getByRole("link", { name: "← Newer" }).first().click();
  await expect(page).toHaveURL(/[?&]after=\d+/);
  await expect(auditRows(page).last()).toHaveAttribute("data-seq", String(olderTop + 1));
});

for (const role of ["technician", "helpdesk"] as const) {
  test(`${role} gets no access to the audit pages or their routes`, async ({ pageAs }) => {
    const page = await pageAs(role);
    for (const url of ["/audit", "/audit/commands", "/audit/sessions/cm00000000000000000000000"]) {
      await page.goto(url);
      await expect(page.getByRole("heading", { name: "No access to Audit" })).toBeVisible();
    }
    for (const url of ["/api/audit", "/api/audit/verify", "/api/audit/commands", "/api/audit/export?format=csv", "/api/audit/sessions/cm00000000000000000000000"]) {
      const res = await page.request.get(url);
      expect(res.status(), url).toBe(403);
    }
  });
}
