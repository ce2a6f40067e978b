import type { Request } from "@playwright/test";
import { expect, test } from "./fixtures";

// Server actions are plain POSTs anyone can send. Capture a real one from the admin's form,
// then replay it without a session and with a role that may not use it: the server must refuse
// both and change nothing.
test("createUser is refused on the server without a session or with the wrong role", async ({ pageAs, playwright, baseURL }) => {
  const admin = await pageAs("admin");
  await admin.goto("/users");
  const first = `e2e-${Date.now().toString(36)}`;
  await admin.getByLabel("Username").fill(first);
  await admin.getByLabel("Full name").fill("Captured Request");
  await admin.getByLabel("Initial password").fill("a-long-enough-password");
  const [request] = await Promise.all([
    admin.waitForRequest((r: Request) => r.method() === "POST" && !!r.headers()["next-action"]),
    admin.getByRole("button", { name: "Add user" }).click(),
  ]);
  await expect(admin.getByRole("status").filter({ hasText: `Created ${first}.` })).toBeVisible();

  const headers = request.headers();
  const replayName = `${first}-replay`;
  const body = request.postData()!.replace(first, replayName);
  const send = async (cookie?: string) => {
    const ctx = await playwright.request.newContext({ baseURL });
    const res = await ctx.post("/users", {
      headers: {
        "next-action": headers["next-action"],
        "next-router-state-tree": headers["next-router-state-tree"] ?? "",
        "content-type": headers["content-type"],
        accept: "text/x-component",
        ...(cookie ? { cookie } : {}),
      },
      data: body,
    });
    const text = await res.text();
    await ctx.dispose();
    return text;
  };

  expect(await send()).toContain("You are not signed in");
  const helpdesk = await pageAs("helpdesk");
  await helpdesk.goto("/sessions");
  const hdCookie = (await helpdesk.context().cookies()).find((c) => c.name === "baton_session")!;
  expect(await send(`baton_session=${hdCookie.value}`)).toContain("Your role (helpdesk) may not user create");

  // Nothing was created by the refused calls; both refusals are in the audit trail.
  const users = (await (await admin.request.get("/api/users")).json()) as { username: string }[];
  expect(users.map((u) => u.username)).toContain(first);
  expect(users.map((u) => u.username)).not.toContain(replayName);
  const auditor = await pageAs("auditor");
  const audit = (await (await auditor.request.get("/api/audit")).json()) as { rows: { action: string; outcome: string; actorName: string }[] };
  const refusals = audit.rows.filter((r) => r.action === "user.create" && r.outcome === "refused");
  expect(refusals.map((r) => r.actorName)).toEqual(expect.arrayContaining(["(anonymous)", "helpdesk"]));
});

test("invalid input names the field and creates nothing", async ({ pageAs }) => {
  const admin = await pageAs("admin");
  await admin.goto("/users");
  await admin.getByLabel("Username").fill("bad name!");
  await admin.getByLabel("Full name").fill("X");
  await admin.getByLabel("Initial password").fill("short");
  await admin.getByRole("button", { name: "Add user" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: /\S/ })).toContainText("Invalid input");
  await expect(admin.locator("#new-username-error")).toContainText("may contain letters, digits");
  await expect(admin.locator("#new-password-error")).toContainText("at least 12 characters");
  const users = (await (await admin.request.get("/api/users")).json()) as { username: string }[];
  expect(users.map((u) => u.username)).not.toContain("bad name!");
});
