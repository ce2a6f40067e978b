import { AREA_LABEL, AREAS, areasFor, ROLES } from "../lib/auth/roles";
import { expect, test } from "./fixtures";
import { demoUser } from "./support/users";

test.describe("navigation by role", () => {
  for (const role of ROLES) {
    test(`${role} sees exactly the areas the role may use`, async ({ pageAs }) => {
      const page = await pageAs(role);
      await page.goto("/");
      const nav = page.getByRole("navigation", { name: "Console" });
      const allowed = areasFor(role);
      for (const area of AREAS) {
        const link = nav.getByRole("link", { name: AREA_LABEL[area], exact: true });
        if (allowed.includes(area)) await expect(link).toBeVisible();
        else await expect(link).toHaveCount(0);
      }
      // The start page is the first allowed area.
      await expect(page).toHaveURL(new RegExp(`/${allowed[0]}$`));
    });
  }

  test("an area outside the role is refused on the server, not just hidden", async ({ pageAs }) => {
    const page = await pageAs("helpdesk");
    await page.goto("/users");
    await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toContainText("No access to Users");
    await expect(page.getByRole("table")).toHaveCount(0);
    const api = await page.request.get("/api/users");
    expect(api.status()).toBe(403);
    expect((await api.json()).error.code).toBe("FORBIDDEN");
  });
});

test.describe("sign-in refusals", () => {
  test("a wrong password gets a clear message and no session", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Username").fill(demoUser("admin").username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveText("Wrong username or password.");
    await expect(page).toHaveURL(/\/sign-in/);
    expect((await page.context().cookies()).find((c) => c.name === "baton_session")).toBeUndefined();
  });

  test("an unknown user gets the same message", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Username").fill("nobody-here");
    await page.getByLabel("Password").fill("whatever-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveText("Wrong username or password.");
  });

  test("without a session, pages send you to sign in and come back after", async ({ page }) => {
    await page.goto("/computers");
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fcomputers/);
    await expect(page.getByRole("status")).toHaveText("Sign in to continue.");
    const u = demoUser("technician");
    await page.getByLabel("Username").fill(u.username);
    await page.getByLabel("Password").fill(u.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/computers$/);
    await expect(page.getByRole("heading", { name: "Computers" })).toBeVisible();
  });

  test("without a session, read APIs answer 401 with a message", async ({ request }) => {
    const res = await request.get("/api/audit");
    expect(res.status()).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: "You are not signed in." } });
  });

  test("unknown addresses show a not-found page", async ({ page }) => {
    const res = await page.goto("/no-such-page");
    expect(res?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });

  test("signing out ends the session on the server", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const u = demoUser("auditor");
    await page.goto("/sign-in");
    await page.getByLabel("Username").fill(u.username);
    await page.getByLabel("Password").fill(u.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/audit$/);
    const cookie = (await context.cookies()).find((c) => c.name === "baton_session");
    expect(cookie).toBeDefined();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    // The old token no longer works even if someone kept a copy.
    const replay = await page.request.get("/api/audit", { headers: { cookie: `baton_session=${cookie!.value}` } });
    expect(replay.status()).toBe(401);
    await context.close();
  });
});
