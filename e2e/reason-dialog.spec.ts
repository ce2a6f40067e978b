import { expect, test } from "./fixtures";
import { expectTerminalAttached } from "./support/session-page";
import { keepScreenshot, newSession, removeSession, unique } from "./support/sessions";

// Hand-off, take-over and join requests ask for a reason in one dialog: a counter against the
// limit, the server's own words before anything is sent, and the action's answer.

test("the take-over reason: counter, limit and the server's words before sending; the reason reaches the timeline", async ({ pageAs }, testInfo) => {
  test.setTimeout(90_000);
  const tech = await pageAs("technician");
  const name = unique("Reasoned");
  const label = `${name} on Srv1`;
  const id = await newSession(tech, { computer: "Srv1", name });
  const boss = await pageAs("manager");
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);

    await boss.goto(`/sessions/${id}`);
    await boss.getByRole("button", { name: `Take over ${label}` }).click();
    const dialog = boss.getByRole("dialog", { name: `Take over ${label}?` });
    const reason = dialog.getByLabel("Reason");
    const submit = dialog.getByRole("button", { name: "Take over", exact: true });
    await expect(dialog).toContainText("0 / 500");
    await expect(submit).toBeDisabled();

    // Too short: refused by the schema the server uses, nothing sent (the technician still holds it).
    await reason.fill("ab");
    await submit.click();
    await expect(dialog).toContainText("say why (at least 3 characters)");
    await expect(reason).toHaveAttribute("aria-invalid", "true");

    // Over the limit: the counter says so and the dialog will not send.
    await reason.fill("x".repeat(501));
    await expect(dialog).toContainText("501 / 500");
    await expect(dialog).toContainText("must be at most 500 characters");
    await expect(submit).toBeDisabled();

    const why = `INC-4711 ${unique("r")}: Tess is out`;
    await reason.fill(why);
    await expect(dialog).toContainText(`${why.length} / 500`);
    await expect(reason).toHaveAttribute("aria-invalid", "false");
    await keepScreenshot(dialog, testInfo, "reason-dialog-take-over");
    await submit.click();
    await expect(dialog).toBeHidden({ timeout: 20_000 });

    await boss.reload();
    await expect(boss.getByRole("list", { name: "State history" })).toContainText(why);
  } finally {
    await removeSession(boss, id, label);
  }
});
