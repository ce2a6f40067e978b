import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

// UI behaviour of the sessions console: filters in the URL, read-only help desk, confirmed
// removal. Each test opens its own uniquely named sessions on the demo fleet.

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

async function newSession(page: Page, { computer, name }: { computer: string; name: string }) {
  await page.goto("/sessions");
  await page.getByRole("button", { name: "New session" }).click();
  const dialog = page.getByRole("dialog", { name: "New session" });
  await dialog.getByLabel("Computer").selectOption({ label: computer });
  await dialog.getByLabel("Session name").fill(name);
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
  await expect(page.getByRole("status").filter({ hasText: `Created ${name} on ${computer}` })).toBeVisible();
}

const row = (page: Page, name: string, computer: string) =>
  page.getByTestId("session-row").filter({ has: page.getByRole("link", { name: `Open ${name} on ${computer}`, exact: true }) });

test("filters, sort and page live in the URL and survive a reload", async ({ pageAs }) => {
  const page = await pageAs("manager");
  const name = unique("UrlTask");
  await newSession(page, { computer: "Srv2", name });

  await page.getByLabel("Computer", { exact: true }).selectOption("Srv2");
  await expect(page).toHaveURL(/[?&]computer=Srv2/);
  await page.getByLabel("Name", { exact: true }).fill(`${name.slice(0, 7)}*`);
  await expect(page).toHaveURL(new RegExp(`[?&]name=${name.slice(0, 7)}`));
  await page.getByLabel("State", { exact: true }).selectOption("Opened");
  await expect(page).toHaveURL(/[?&]state=Opened/);
  await page.getByRole("button", { name: "Name", exact: true }).click();
  await expect(page).toHaveURL(/[?&]sort=name/);
  await page.getByRole("button", { name: "Name", exact: true }).click();
  await expect(page).toHaveURL(/[?&]dir=desc/);
  await expect(row(page, name, "Srv2")).toBeVisible();

  await page.reload();
  await expect(page.getByLabel("Computer", { exact: true })).toHaveValue("Srv2");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`${name.slice(0, 7)}*`);
  await expect(page.getByLabel("State", { exact: true })).toHaveValue("Opened");
  await expect(page.getByRole("columnheader", { name: /Name/ }).first()).toHaveAttribute("aria-sort", "descending");
  await expect(row(page, name, "Srv2")).toBeVisible();

  // The filter is applied by the server: another computer's name pattern finds nothing.
  await page.getByLabel("Computer", { exact: true }).selectOption("Srv30");
  await expect(row(page, name, "Srv2")).toHaveCount(0);
  await expect(page.getByText("No sessions match these filters")).toBeVisible();

  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).not.toHaveURL(/computer=|name=|state=/);

  // A bad parameter is named and ignored rather than breaking the page.
  await page.goto("/sessions?state=Sleeping&computer=Srv2");
  await expect(page.getByRole("alert").filter({ hasText: "state" })).toContainText("Sleeping");
  await expect(page.getByLabel("Computer", { exact: true })).toHaveValue("Srv2");
  await expect(page.getByLabel("State", { exact: true })).toHaveValue("");

  await row(page, name, "Srv2").getByRole("button", { name: `Remove ${name} on Srv2` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
});

test("help desk sees sessions but no action buttons, in the list or on a session's page", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("WatchMe");
  await newSession(tech, { computer: "Srv30", name });

  const help = await pageAs("helpdesk");
  await help.goto(`/sessions?name=${name}`);
  const r = row(help, name, "Srv30");
  await expect(r).toBeVisible();
  await expect(help.getByText(/Read-only/)).toBeVisible();
  await expect(help.getByRole("button", { name: "New session" })).toHaveCount(0);
  await expect(help.getByRole("button", { name: /^(Disconnect|Connect|Receive|Remove) / })).toHaveCount(0);
  await expect(help.getByRole("checkbox")).toHaveCount(0);

  await r.getByRole("link", { name: `Open ${name} on Srv30` }).click();
  await expect(help.getByRole("heading", { name: new RegExp(name) })).toBeVisible();
  await expect(help.getByTestId("terminal-unavailable")).toBeVisible();
  await expect(help.getByRole("button", { name: /^(Disconnect|Connect|Receive|Remove)\b/ })).toHaveCount(0);
  await expect(help.getByLabel("Command to run")).toHaveCount(0);

  await tech.goto(`/sessions?name=${name}`);
  await row(tech, name, "Srv30").getByRole("button", { name: `Remove ${name} on Srv30` }).click();
  await tech.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
});

test("removing a session needs a confirmation that shows what would happen", async ({ pageAs }) => {
  const page = await pageAs("technician");
  const name = unique("RemoveMe");
  await newSession(page, { computer: "Srv2", name });
  const r = row(page, name, "Srv2");
  await expect(r).toHaveAttribute("data-state", "Opened");

  await r.getByRole("button", { name: `Remove ${name} on Srv2` }).click();
  const dialog = page.getByRole("dialog", { name: `Remove ${name} on Srv2?` });
  const preview = dialog.getByRole("table", { name: `What removing ${name} would do` });
  await expect(preview.getByRole("row").filter({ hasText: name })).toContainText("Closed");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(r).toHaveAttribute("data-state", "Opened");

  await r.getByRole("button", { name: `Remove ${name} on Srv2` }).click();
  await expect(preview).toBeVisible();
  await dialog.getByRole("button", { name: "Remove session" }).click();
  await expect(dialog).toBeHidden();
  await expect(r).toHaveAttribute("data-state", "Closed");
  await expect(r.getByRole("button", { name: `Remove ${name} on Srv2` })).toHaveCount(0);
});
