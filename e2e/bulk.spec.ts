import { expect, test } from "./fixtures";
import { disconnectHere, runCommand } from "./support/session-page";
import { filterSessions, newSession, unique } from "./support/sessions";

// Receive-PSSession over a selection: each session's output, produced while nobody was
// connected, is kept with the job and shown per session in the bulk dialog.
test("bulk Receive of 3 sessions shows each one's output", async ({ pageAs }) => {
  test.setTimeout(120_000);
  const tech = await pageAs("technician");
  const prefix = unique("Night");
  const names = [0, 1, 2].map((i) => `${prefix}-${i}`);
  for (const [i, name] of names.entries()) {
    const id = await newSession(tech, { computer: "Server01", name });
    await tech.goto(`/sessions/${id}`);
    // Output that comes well after the disconnect: no terminal showed it, only a Receive does.
    await runCommand(tech, `sleep 6; echo night-run-${i}-$((6*7))`);
    await disconnectHere(tech, `${name} on Server01`);
  }
  await tech.waitForTimeout(7000);

  await filterSessions(tech, { name: `${prefix}*` });
  for (const name of names) await tech.getByLabel(`Select ${name} on Server01`).check();
  await tech.getByRole("button", { name: "Receive 3 selected" }).click();
  const dialog = tech.getByRole("dialog");
  await expect(dialog.getByRole("heading", { name: "Receive 3 sessions?" })).toBeVisible();
  await dialog.getByRole("button", { name: "Receive 3 sessions" }).click();
  await expect(dialog.getByRole("status").filter({ hasText: "Finished: 3 of 3 done" })).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByText("3 succeeded")).toBeVisible();

  for (const [i, name] of names.entries()) {
    await dialog.getByRole("button", { name: `Show output of ${name}` }).click();
    const output = dialog.getByLabel(`Output received from ${name}`);
    await expect(output).toContainText(`night-run-${i}-42`);
    await expect(output).not.toContainText(`night-run-${(i + 1) % 3}-42`);
  }
  await expect(dialog.getByText("0 bytes dropped")).toHaveCount(3);
});
