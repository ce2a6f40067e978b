import type { Request } from "@playwright/test";
import { expect, test } from "./fixtures";
import { cookieHeader, disconnectFromRow, expectRow, filterSessions, newSession, property, rowOf, unique } from "./support/sessions";

// What another browser sees, live, and what a read-only role may not do, in the UI or by
// calling the server directly.

test("a manager's browser sees the technician's disconnect and removal live, without a reload", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("LiveTask");
  const id = await newSession(tech, { computer: "Srv30", name });

  const manager = await pageAs("manager");
  await manager.goto(`/sessions?name=${name}`);
  await expect(manager.locator("[data-live-status=live]")).toBeVisible();
  const seen = rowOf(manager, id);
  // Attached to the technician, it reads Disconnected and Busy to anyone else (PowerShell's view).
  await expectRow(manager, seen, { Name: name, ComputerName: "Srv30", State: "Disconnected", Availability: "Busy", Holder: "tech", "Expires in": "—" });
  await manager.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

  await filterSessions(tech, { name });
  await disconnectFromRow(tech, rowOf(tech, id), `${name} on Srv30`);
  await expectRow(manager, seen, { State: "Disconnected", Availability: "None", Holder: "—", "Expires in": /^(in )?(1:59:\d\d|2:00:00)$/ });

  await rowOf(tech, id).getByRole("button", { name: `Remove ${name} on Srv30` }).click();
  await tech.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
  await expectRow(manager, seen, { State: /^Closed/, Availability: "None" });

  expect(await manager.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});

test("help desk has no action buttons, and the server refuses its replayed disconnect", async ({ pageAs, playwright }) => {
  const tech = await pageAs("technician");
  const prefix = unique("Watch");
  const [a, b] = [`${prefix}-a`, `${prefix}-b`];
  const idA = await newSession(tech, { computer: "Srv30", name: a });
  const idB = await newSession(tech, { computer: "Srv30", name: b });

  // The UI offers help desk nothing to press, in the list or on the session's page.
  const help = await pageAs("helpdesk");
  await help.goto(`/sessions?name=${prefix}*`);
  await expect(rowOf(help, idA)).toBeVisible();
  await expect(rowOf(help, idB)).toBeVisible();
  await expect(help.getByRole("button", { name: "New session" })).toHaveCount(0);
  await expect(help.getByRole("button", { name: /^(Disconnect|Connect|Receive|Remove|Hand off) / })).toHaveCount(0);
  await expect(help.getByRole("checkbox")).toHaveCount(0);
  await help.goto(`/sessions/${idB}`);
  await expect(help.getByRole("heading", { level: 1, name: `${b} on Srv30` })).toBeVisible();
  await expect(help.getByTestId("terminal-unavailable")).toBeVisible();
  await expect(help.getByRole("button", { name: /^(Disconnect|Connect|Receive|Remove|Hand off)\b/ })).toHaveCount(0);
  await expect(help.getByLabel("Command to run")).toHaveCount(0);

  // Capture the technician's real disconnect of A as the browser sends it.
  await filterSessions(tech, { name: `${prefix}*` });
  const [request] = await Promise.all([
    tech.waitForRequest((r: Request) => r.method() === "POST" && !!r.headers()["next-action"] && (r.postData() ?? "").includes(idA)),
    disconnectFromRow(tech, rowOf(tech, idA), `${a} on Srv30`),
  ]);
  await expectRow(tech, rowOf(tech, idA), { State: "Disconnected", Availability: "None" });

  // Replay it against B, as help desk: refused by the server, B unchanged.
  const body = request.postData()!.replaceAll(idA, idB);
  const headers = request.headers();
  const replay = async (cookie: string) => {
    const ctx = await playwright.request.newContext();
    const res = await ctx.post(request.url(), {
      headers: {
        "next-action": headers["next-action"],
        "next-router-state-tree": headers["next-router-state-tree"] ?? "",
        "content-type": headers["content-type"],
        accept: "text/x-component",
        cookie,
      },
      data: body,
    });
    const text = await res.text();
    await ctx.dispose();
    return text;
  };
  expect(await replay(await cookieHeader(help))).toContain("Your role (helpdesk) may not session disconnect.");
  await tech.reload();
  await expectRow(tech, rowOf(tech, idB), { State: "Opened", Availability: "Available" });
  await help.reload();
  await expect(property(help, "State on the computer")).toContainText("Opened");

  // The same replayed request with the technician's cookie does disconnect B: the refusal above
  // was the role check, not a malformed replay.
  const ok = await replay(await cookieHeader(tech));
  expect(ok).not.toContain("may not");
  await expectRow(tech, rowOf(tech, idB), { State: "Disconnected", Availability: "None" });

  for (const [id, n] of [[idA, a], [idB, b]] as const) {
    await rowOf(tech, id).getByRole("button", { name: `Remove ${n} on Srv30` }).click();
    await tech.getByRole("dialog").getByRole("button", { name: "Remove session" }).click();
    await expect(rowOf(tech, id)).toHaveAttribute("data-state", "Closed");
  }
});
