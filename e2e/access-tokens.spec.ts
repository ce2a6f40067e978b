import { expect, test } from "./fixtures";
import { unique } from "./support/sessions";

// A personal access token from the console's page to a non-browser client and back: shown once,
// usable with Authorization: Bearer and no cookie or Origin (as the CLI sends), refused the
// moment it is revoked.
test("make a narrower token, call the REST API with it from outside the browser, revoke it", async ({ pageAs, playwright, baseURL }) => {
  const manager = await pageAs("manager");
  await manager.goto("/tokens");
  await expect(manager.getByRole("heading", { name: "Access tokens" })).toBeVisible();
  const name = unique("cli");
  await manager.getByLabel("Name").fill(name);
  await manager.getByLabel("Expires after").selectOption("7");
  await manager.getByLabel("Role").selectOption("technician");
  await manager.getByRole("button", { name: "Make token" }).click();
  const shown = manager.getByLabel("New token");
  await expect(shown).toHaveValue(/^baton_pat_/);
  const token = await shown.inputValue();
  const row = manager.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Technician");
  await expect(row).toContainText("active");
  await manager.screenshot({ path: "test-results/access-tokens.png", fullPage: true });

  // Shown once: a reload lists the token without its value.
  await manager.reload();
  await expect(manager.getByRole("row").filter({ hasText: name })).toBeVisible();
  expect(await manager.content()).not.toContain(token);

  const cli = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const me = await cli.get("/api/v1/me");
  expect(me.status()).toBe(200);
  expect((await me.json()).data).toMatchObject({ username: "manager", role: "technician", token: { name } });
  const wrongMethod = await cli.post("/api/v1/sessions/bulk/00000000-0000-4000-8000-000000000000", { data: {} });
  expect(wrongMethod.status()).toBe(405);
  const spec = await cli.get("/api/v1/openapi.json");
  expect((await spec.json()).paths["/api/v1/sessions"].get).toBeDefined();

  await manager.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(manager.getByRole("row").filter({ hasText: name })).toContainText("revoked");
  const refused = await cli.get("/api/v1/me");
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringMatching(new RegExp(`^The access token ${name} was revoked at `)) });
  await cli.dispose();
});
