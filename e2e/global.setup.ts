import { expect, test as setup } from "@playwright/test";
import { ROLES } from "../lib/auth/roles";
import { demoUser, storageStateFor } from "./support/users";

// Sign in once per role through the real form and keep the cookie for the tests.
for (const role of ROLES) {
  setup(`sign in as ${role}`, async ({ page }) => {
    const u = demoUser(role);
    await page.goto("/sign-in");
    await page.getByLabel("Username").fill(u.username);
    await page.getByLabel("Password").fill(u.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("current-user")).toContainText(u.displayName);
    await page.context().storageState({ path: storageStateFor(role) });
  });
}
