import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import {
  cellOf,
  columnTexts,
  disconnectFromRow,
  expectRow,
  filterSessions,
  HELP_COLUMNS,
  keepScreenshot,
  newSession,
  openDisconnectDialog,
  property,
  removeSession,
  rowOf,
  sessionsTable,
} from "./support/sessions";

// The Disconnect-PSSession help page's Examples 1-4, played in a real browser against the demo
// fleet's real agent hosts. The examples fix the session names (UpdateSession, ITTask), so every
// assertion is scoped to the row this test created (by its console id), never to "the" ITTask.

const LONG_SCRIPT = "for i in $(seq 1 600); do echo patch $i; sleep 1; done";

async function expectHelpColumns(page: Page) {
  const headers = (await sessionsTable(page).getByRole("columnheader").allTextContents()).map((t) => t.replace(/[▲▼]/g, "").trim());
  expect(headers.filter((h) => (HELP_COLUMNS as readonly string[]).includes(h))).toEqual([...HELP_COLUMNS]);
}

test("Example 1: Disconnect-PSSession -Name UpdateSession leaves it Disconnected, Availability None", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const id = await newSession(tech, { computer: "Server01", name: "UpdateSession" });

  // Identify it by name, as -Name does: the list's name filter.
  await filterSessions(tech, { name: "UpdateSession" });
  const row = rowOf(tech, id);
  await expect(row).toBeVisible();
  await expect.poll(async () => [...new Set(await columnTexts(tech, "Name"))]).toEqual(["UpdateSession"]);
  await expectRow(tech, row, { Name: "UpdateSession", ComputerName: "Server01", State: "Opened", Availability: "Available" });

  await disconnectFromRow(tech, row, "UpdateSession on Server01");

  await expectHelpColumns(tech);
  await expectRow(tech, row, {
    Id: /^\d+$/,
    Name: "UpdateSession",
    ComputerName: "Server01",
    State: "Disconnected",
    ConfigurationName: "Microsoft.PowerShell",
    Availability: "None",
  });
  // The Id column is the agent's session Id, the same one the session's page shows.
  const shownId = (await (await cellOf(tech, row, "Id")).textContent())!.trim();
  await row.getByRole("link", { name: "Open UpdateSession on Server01" }).click();
  await expect(property(tech, "Id")).toHaveText(shownId);
  await expect(property(tech, "State")).toHaveText("Disconnected");
  await expect(property(tech, "Availability")).toHaveText("None");

  await removeSession(tech, id, "UpdateSession on Server01");
});

test("Example 2: ITTask on Server12 (ITTasks) disconnected with OutputBufferingMode Drop and IdleTimeoutSec 86400", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const id = await newSession(tech, { computer: "Server12", name: "ITTask", configuration: "ITTasks" });

  // Get-PSSession -ComputerName Server12 -Name ITTask | Disconnect-PSSession -OutputBufferingMode Drop -IdleTimeoutSec 86400
  await filterSessions(tech, { computer: "Server12", name: "ITTask" });
  const row = rowOf(tech, id);
  await expect(row).toBeVisible();
  await expect.poll(async () => [...new Set([...(await columnTexts(tech, "Name")), ...(await columnTexts(tech, "ComputerName"))])]).toEqual(["ITTask", "Server12"]);
  await expectRow(tech, row, { Name: "ITTask", ComputerName: "Server12", State: "Opened", ConfigurationName: "ITTasks", Availability: "Available" });

  const before = Date.now();
  await disconnectFromRow(tech, row, "ITTask on Server12", { idleTimeoutSec: 86400, mode: "Drop" });
  const after = Date.now();

  await expectRow(tech, row, {
    Name: "ITTask",
    ComputerName: "Server12",
    State: "Disconnected",
    ConfigurationName: "ITTasks",
    Availability: "None",
    // 24 hours from now, counting down.
    "Expires in": /^(in )?(23:59:\d\d|24:00:00)$/,
  });
  await expect(await cellOf(tech, row, "Buffer")).toContainText("Drop");
  const expiresOn = await (await cellOf(tech, row, "Expires in")).locator("time").getAttribute("datetime");
  const expires = new Date(expiresOn!).getTime();
  expect(expires).toBeGreaterThanOrEqual(before + 86_400_000 - 5_000);
  expect(expires).toBeLessThanOrEqual(after + 86_400_000 + 5_000);

  await row.getByRole("link", { name: "Open ITTask on Server12" }).click();
  await expect(tech.getByRole("heading", { level: 1, name: "ITTask on Server12" })).toBeVisible();
  await expect(property(tech, "State")).toHaveText("Disconnected");
  await expect(property(tech, "ConfigurationName")).toHaveText("ITTasks");
  await expect(property(tech, "OutputBufferingMode")).toHaveText("Drop");
  await expect(property(tech, "IdleTimeoutSec")).toHaveText("86400 s (24 h)");
  await expect(property(tech, "Expires")).toContainText(/(23:59:\d\d|24:00:00)$/);

  await removeSession(tech, id, "ITTask on Server12");
});

test("Example 3: ITTask on Srv1, Srv2, Srv30 running a script; disconnecting Srv1's leaves the others untouched", async ({ pageAs }, testInfo) => {
  const tech = await pageAs("technician");
  const computers = ["Srv1", "Srv2", "Srv30"] as const;
  // $s = New-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask
  const ids: Record<(typeof computers)[number], string> = { Srv1: "", Srv2: "", Srv30: "" };
  for (const computer of computers) ids[computer] = await newSession(tech, { computer, name: "ITTask" });

  // Invoke-Command $s -FilePath Get-PatchStatus: a long-running script in each, from its page.
  for (const computer of computers) {
    await tech.goto(`/sessions/${ids[computer]}`);
    await expect(tech.getByTestId("terminal")).toHaveAttribute("data-status", "attached", { timeout: 15_000 });
    await tech.getByLabel("Command to run").fill(LONG_SCRIPT);
    await tech.getByRole("button", { name: "Run", exact: true }).click();
    await expect(tech.getByRole("status").filter({ hasText: `Started: ${LONG_SCRIPT}` })).toBeVisible();
    await expect(tech.getByTestId("terminal")).toContainText("patch 2", { timeout: 15_000 });
    await expect(property(tech, "Running command")).toHaveText(LONG_SCRIPT);
    if (computer === "Srv2") await keepScreenshot(tech, testInfo, "session-page-terminal", { fullPage: true });
  }

  // Get-PSSession -Name ITTask -ComputerName Srv1 | Disconnect-PSSession
  await tech.goto("/sessions");
  await filterSessions(tech, { computer: "Srv1", name: "ITTask" });
  await expectRow(tech, rowOf(tech, ids.Srv1), { State: "Opened", Availability: "Busy" });
  await disconnectFromRow(tech, rowOf(tech, ids.Srv1), "ITTask on Srv1");
  await expectRow(tech, rowOf(tech, ids.Srv1), { Name: "ITTask", ComputerName: "Srv1", State: "Disconnected", ConfigurationName: "Microsoft.PowerShell", Availability: "None" });

  // Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask: only Srv1's changed. Srv2's and
  // Srv30's stay Opened and, with the script still running in them, Busy (DESIGN.md).
  await filterSessions(tech, { name: "ITTask" });
  await expectRow(tech, rowOf(tech, ids.Srv1), { Name: "ITTask", ComputerName: "Srv1", State: "Disconnected", ConfigurationName: "Microsoft.PowerShell", Availability: "None" });
  for (const computer of ["Srv2", "Srv30"] as const) {
    await expectRow(tech, rowOf(tech, ids[computer]), { Name: "ITTask", ComputerName: computer, State: "Opened", ConfigurationName: "Microsoft.PowerShell", Availability: "Busy" });
  }
  // The script keeps running in every one of them, the disconnected one included.
  for (const computer of computers) await expect(await cellOf(tech, rowOf(tech, ids[computer]), "Running command")).toContainText("patch");
  await keepScreenshot(tech, testInfo, "sessions-page", { fullPage: true });

  for (const computer of computers) await removeSession(tech, ids[computer], `ITTask on ${computer}`);
});

// Example 4 changes Server01's Microsoft.PowerShell limits, which the whole fleet sees: its tests
// run one after the other in one worker, each restores the limit whatever happens, and no other
// test touches Server01's limits (Example 1, in this file and so never at the same time, uses
// Server01 with the default idle timeout, valid under both maxima).
test.describe("Example 4", () => {
  test.describe.configure({ mode: "serial" });

  const MAX_12H = 43_200_000;
  const MAX_48H = 172_800_000;
  const FLAG = "Idle timeout above the configuration's maximum";

  async function setMaxIdleTimeoutMs(admin: Page, ms: number) {
    await admin.goto("/computers");
    const card = admin.getByRole("region", { name: "Server01", exact: true });
    await card.getByRole("button", { name: "Edit limits of Microsoft.PowerShell on Server01" }).click();
    const dialog = admin.getByRole("dialog", { name: "Edit limits of Microsoft.PowerShell on Server01" });
    const field = dialog.getByLabel("MaxIdleTimeoutMs", { exact: true });
    if ((await field.inputValue()) === String(ms)) {
      await dialog.getByRole("button", { name: "Cancel" }).click();
    } else {
      await field.fill(String(ms));
      await dialog.getByRole("button", { name: "Save limits" }).click();
    }
    await expect(dialog).toBeHidden({ timeout: 20_000 });
    await expect(card.locator('dl[aria-label="Limits of Microsoft.PowerShell on Server01"]')).toContainText(`allowed 60–${ms / 1000} s`);
  }

  /**
   * $Timeout = New-PSSessionOption -IdleTimeout 172800000; $s = New-PSSession -Computer Server01 -Name ITTask -SessionOption $Timeout,
   * made possible by an admin raising MaxIdleTimeoutMs to 48 h first, then the admin lowers it back to 12 h while the
   * technician watches the list: the session is flagged, live. Returns the session's id (through `created`, for clean-up).
   */
  async function flaggedITTask(admin: Page, tech: Page, created: { id: string | null }) {
    await test.step("admin raises MaxIdleTimeoutMs of Microsoft.PowerShell on Server01 to 48 h", () => setMaxIdleTimeoutMs(admin, MAX_48H));
    await test.step("technician creates ITTask on Server01 with a 48-hour idle timeout", async () => {
      created.id = await newSession(tech, { computer: "Server01", name: "ITTask", idleTimeoutSec: 172800 });
      await filterSessions(tech, { computer: "Server01", name: "ITTask" });
      await expectRow(tech, rowOf(tech, created.id), { State: "Opened", Availability: "Available" });
      await expect(rowOf(tech, created.id).getByRole("img", { name: FLAG })).toHaveCount(0);
    });
    const row = rowOf(tech, created.id!);
    await test.step("admin lowers it back to 12 h; the technician's list flags the session, live", async () => {
      await setMaxIdleTimeoutMs(admin, MAX_12H);
      await expect(row.getByRole("img", { name: FLAG })).toBeVisible();
      await expectRow(tech, row, { State: "Opened", Availability: "Available" });
    });
    return row;
  }

  async function expectDisconnectedWith12Hours(tech: Page, row: Locator) {
    await expectRow(tech, row, { Name: "ITTask", ComputerName: "Server01", State: "Disconnected", ConfigurationName: "Microsoft.PowerShell", Availability: "None" });
    await expect(row.getByRole("img", { name: FLAG })).toHaveCount(0);
    await row.getByRole("link", { name: "Open ITTask on Server01" }).click();
    await expect(property(tech, "IdleTimeoutSec")).toHaveText("43200 s (12 h)");
    await expect(property(tech, "State")).toHaveText("Disconnected");
  }

  test("the lowered maximum is flagged in the list, the dialog explains it and its offer of the largest allowed value succeeds", async ({ pageAs }, testInfo) => {
    const admin = await pageAs("admin");
    const tech = await pageAs("technician");
    const created: { id: string | null } = { id: null };
    try {
      const row = await flaggedITTask(admin, tech, created);
      await test.step("the disconnect dialog explains the conflict and offers 43200", async () => {
        const dialog = await openDisconnectDialog(tech, row, "ITTask on Server01");
        await expect(dialog.getByRole("status")).toContainText("ITTask was created with an idle timeout of 172800 seconds (48 h)");
        await expect(dialog.getByRole("status")).toContainText("Microsoft.PowerShell on Server01 now allows at most 43200 seconds (12 h)");
        await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveValue("172800");
        await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveAttribute("aria-invalid", "true");
        await expect(dialog).toContainText("Microsoft.PowerShell allows 60 to 43200 seconds (1 min to 12 h)");
        await keepScreenshot(tech, testInfo, "disconnect-dialog-example-4");
        // Disconnect-PSSession $s -IdleTimeoutSec 43200
        await dialog.getByRole("button", { name: "Use the largest allowed value (43200)" }).click();
        await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveValue("43200");
        await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
        await expect(dialog).toBeHidden({ timeout: 20_000 });
      });
      await test.step("the session is Disconnected with a 12-hour idle timeout", () => expectDisconnectedWith12Hours(tech, row));
    } finally {
      await setMaxIdleTimeoutMs(admin, MAX_12H);
      if (created.id) await removeSession(tech, created.id, "ITTask on Server01");
    }
  });

  test("the disconnect at 172800 s is refused with a message naming the session, 172800, 43200 and 60; then 43200 succeeds", async ({ pageAs }, testInfo) => {
    const admin = await pageAs("admin");
    const tech = await pageAs("technician");
    const created: { id: string | null } = { id: null };
    try {
      const row = await flaggedITTask(admin, tech, created);
      await test.step("Disconnect-PSSession -Session $s is refused, naming the session, the value and both limits", async () => {
        const dialog = await openDisconnectDialog(tech, row, "ITTask on Server01");
        await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveValue("172800");
        await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
        await expect(dialog.getByRole("alert")).toContainText(
          "The session ITTask cannot be disconnected because the specified idle timeout value 172800 (seconds) is either greater than the server maximum allowed 43200 (seconds) or less than the minimum allowed 60 (seconds).",
        );
        await keepScreenshot(tech, testInfo, "disconnect-dialog-example-4-refused");
        await expect(row).toHaveAttribute("data-state", "Opened");

        // Disconnect-PSSession $s -IdleTimeoutSec 43200, through the dialog's offer.
        await dialog.getByRole("button", { name: "Use the largest allowed value (43200)" }).click();
        await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveValue("43200");
        await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
        await expect(dialog).toBeHidden({ timeout: 20_000 });
      });
      await test.step("the session is Disconnected with a 12-hour idle timeout", () => expectDisconnectedWith12Hours(tech, row));
    } finally {
      await setMaxIdleTimeoutMs(admin, MAX_12H);
      if (created.id) await removeSession(tech, created.id, "ITTask on Server01");
    }
  });
});
