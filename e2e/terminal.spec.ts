import { expect, test } from "./fixtures";
import { newSession, removeSession, unique } from "./support/sessions";

// The live terminal: keystrokes typed as fast as a browser can send them reach the shell in
// order, and the shell's answer streams back into the page.
test("typing in the session page's terminal runs the command, in order", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Typing");
  const id = await newSession(tech, { computer: "Srv2", name });
  try {
    await tech.goto(`/sessions/${id}`);
    const terminal = tech.getByTestId("terminal");
    await expect(terminal).toHaveAttribute("data-status", "attached", { timeout: 15_000 });
    await terminal.click();
    const marker = `ordered-${Date.now().toString(36)}`;
    // printf with the marker split so only the shell's output, not the echoed input, matches.
    await tech.keyboard.type(`printf '%s-%s\\n' ${marker} abcdefghijklmnopqrstuvwxyz0123456789`, { delay: 0 });
    await tech.keyboard.press("Enter");
    await expect(terminal).toContainText(`${marker}-abcdefghijklmnopqrstuvwxyz0123456789`, { timeout: 15_000 });
  } finally {
    await removeSession(tech, id, `${name} on Srv2`);
  }
});
