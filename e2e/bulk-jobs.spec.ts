import type { APIRequestContext, Page } from "@playwright/test";
import { startAgent, type RunningAgent } from "../lib/agent/test/helpers";
import { startProxyProcess, type ProxyProcess } from "../lib/testing/proxy-process";
import { expect, test } from "./fixtures";
import { filterSessions, unique } from "./support/sessions";

// A bulk job as its user sees it in the browser when it does not simply succeed: cancelled
// halfway, and a computer whose agent dies while the job's requests to it are in flight. Two
// real agents of the test's own, behind a proxy that adds latency to their requests (so the job
// is slow enough to act on midway) and counts what reaches them; the agents are registered on the
// Computers page, the sessions made with a technician's access token over the REST API.
test.describe("bulk jobs: cancel, and an agent killed mid-job", () => {
  test.describe.configure({ mode: "serial" });
  const suffix = Date.now().toString(36).slice(-5);
  const computers = { steady: `JobsSteady-${suffix}`, doomed: `JobsDoomed-${suffix}` };
  let agents: { steady: RunningAgent; doomed: RunningAgent };
  let proxies: ProxyProcess;
  let api: APIRequestContext;
  const ids = new Map<string, string>(); // computer name -> console id

  test.beforeAll(async ({ browser, playwright, baseURL }) => {
    test.setTimeout(180_000);
    const configurations = [{ name: "Microsoft.PowerShell" }];
    const [steady, doomed] = await Promise.all([startAgent({ name: computers.steady, configurations }), startAgent({ name: computers.doomed, configurations })]);
    agents = { steady, doomed };
    proxies = await startProxyProcess({ targets: [steady.baseUrl, doomed.baseUrl], delayMs: 0 });

    const { storageStateFor } = await import("./support/users");
    const admin = await (await browser.newContext({ storageState: storageStateFor("admin") })).newPage();
    await admin.goto("/computers");
    const form = admin.locator("form").filter({ has: admin.getByRole("button", { name: "Register computer" }) });
    const registrations: [string, RunningAgent, string][] = [
      [computers.steady, steady, proxies.baseUrls[0]],
      [computers.doomed, doomed, proxies.baseUrls[1]],
    ];
    for (const [name, agent, address] of registrations) {
      await form.getByLabel("Computer name").fill(name);
      await form.getByLabel("Agent address").fill(address);
      await form.getByLabel("Agent token").fill(agent.token);
      await form.getByRole("button", { name: "Register computer" }).click();
      await expect(form).toContainText(`Registered ${name}.`);
      await expect(admin.getByRole("region", { name, exact: true })).toContainText("online", { timeout: 30_000 });
    }
    await admin.context().close();

    // The technician's token, for making sessions quickly (the CLI's way).
    const tech = await (await browser.newContext({ storageState: storageStateFor("technician") })).newPage();
    await tech.goto("/tokens");
    await tech.getByLabel("Name").fill(`jobs-${suffix}`);
    await tech.getByRole("button", { name: "Make token" }).click();
    const token = await tech.getByLabel("New token").inputValue();
    await tech.context().close();
    api = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    const listed = (await (await api.get("/api/v1/computers")).json()) as { data: { id: string; name: string }[] };
    for (const c of listed.data) ids.set(c.name, c.id);
  });

  test.afterAll(async () => {
    await api?.dispose();
    await proxies?.close();
    await Promise.all([agents?.steady.stop(), agents?.doomed.stop().catch(() => undefined)]);
  });

  async function openSessions(computer: string, names: string[]) {
    for (const name of names) {
      const r = await api.post("/api/v1/sessions", { data: { computerId: ids.get(computer), name, configurationName: "Microsoft.PowerShell" } });
      expect(r.status(), await r.text()).toBe(201);
    }
  }

  async function sessionStates(prefix: string): Promise<Map<string, string>> {
    const r = await api.get(`/api/v1/sessions?name=${encodeURIComponent(`${prefix}*`)}&pageSize=100`);
    const body = (await r.json()) as { data: { rows: { name: string; state: string }[] } };
    return new Map(body.data.rows.map((s) => [s.name, s.state]));
  }

  /** Selects the named sessions in the list, sets the throttle limit and confirms a bulk Disconnect. */
  async function startDisconnect(page: Page, prefix: string, rows: { name: string; computer: string }[], throttleLimit: number) {
    await filterSessions(page, { name: `${prefix}*` });
    for (const r of rows) await page.getByLabel(`Select ${r.name} on ${r.computer}`).check();
    await page.getByLabel("Throttle limit").fill(String(throttleLimit));
    await page.getByRole("button", { name: `Disconnect ${rows.length} selected` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: `Disconnect ${rows.length} sessions` }).click();
    return dialog;
  }

  test("cancel mid-job: the sessions already asked finish, the rest report cancelled and are left alone", async ({ pageAs }, testInfo) => {
    const prefix = unique("Cancel");
    const names = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    await openSessions(computers.steady, names);
    await proxies.setDelay(0, 700);
    try {
      const tech = await pageAs("technician");
      const dialog = await startDisconnect(
        tech,
        prefix,
        names.map((name) => ({ name, computer: computers.steady })),
        1,
      );
      // One at a time, 0.7 s each: cancel once the first has finished.
      await expect(dialog.getByRole("status").filter({ hasText: /^Working: [1-9] of 10 done/ })).toBeVisible({ timeout: 20_000 });
      await dialog.getByRole("button", { name: "Cancel the rest" }).click();
      const status = dialog.getByRole("status").filter({ hasText: /^Finished: 10 of 10 done/ });
      await expect(status).toBeVisible({ timeout: 20_000 });
      await dialog.screenshot({ path: testInfo.outputPath("bulk-cancelled.png") });

      const outcomes = dialog.getByRole("list", { name: "Outcome per session" }).getByRole("listitem");
      const succeeded = outcomes.filter({ has: tech.getByText("success", { exact: true }) });
      // Told apart from failures: its own badge, and words saying nothing was done.
      const cancelled = outcomes.filter({ has: tech.getByText("cancelled", { exact: true }) }).filter({ hasText: "Cancelled before it started: nothing was done" });
      const [ok, off] = [await succeeded.count(), await cancelled.count()];
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(off).toBeGreaterThanOrEqual(4);
      expect(ok + off).toBe(10);
      await expect(status).toContainText(`${ok} succeeded · 0 failed · ${off} cancelled`);
      await expect(dialog).toContainText("At most 1 request to computers at once.");
      await expect(dialog.getByRole("heading", { name: "Disconnect 10 sessions: cancelled" })).toBeVisible();

      // What the agent did agrees: the sessions asked are Disconnected, the cancelled ones untouched.
      const states = await sessionStates(prefix);
      expect([...states.values()].filter((s) => s === "Disconnected")).toHaveLength(ok);
      expect([...states.values()].filter((s) => s === "Opened")).toHaveLength(off);
      expect((await proxies.stats()).perTarget[0].inFlight).toBe(0);

      // The Jobs view keeps it, marked cancelled, with each session's outcome.
      await dialog.getByRole("button", { name: "Close" }).click();
      await tech.goto("/jobs");
      const card = tech.getByRole("region", { name: /^Job: Disconnect of 10 sessions/ }).first();
      await expect(card).toContainText("cancelled");
      await card.screenshot({ path: testInfo.outputPath("jobs-cancelled.png") });
      await expect(card.getByRole("list", { name: "Outcome per session" }).getByRole("listitem").filter({ hasText: "Cancelled before it started" })).toHaveCount(off);
    } finally {
      await proxies.setDelay(0, 0);
    }
  });

  test("an agent killed mid-job: its targets fail in plain words naming the computer, the others succeed", async ({ pageAs }, testInfo) => {
    const prefix = unique("Mixed");
    const steady = [0, 1, 2].map((i) => ({ name: `${prefix}-s${i}`, computer: computers.steady }));
    const doomed = [0, 1, 2, 3].map((i) => ({ name: `${prefix}-d${i}`, computer: computers.doomed }));
    await openSessions(computers.steady, steady.map((r) => r.name));
    await openSessions(computers.doomed, doomed.map((r) => r.name));
    // The doomed computer's requests wait in the proxy long enough for its agent to die under them.
    await proxies.setDelay(1, 3_000);
    const tech = await pageAs("technician");
    const dialog = await startDisconnect(tech, prefix, [...steady, ...doomed], 8);
    await expect.poll(async () => (await proxies.stats()).perTarget[1].inFlight, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    agents.doomed.proc.kill("SIGKILL");

    await expect(dialog.getByRole("status").filter({ hasText: /^Finished: 7 of 7 done/ })).toBeVisible({ timeout: 30_000 });
    await expect(dialog.getByRole("status")).toContainText("3 succeeded · 4 failed");
    await dialog.screenshot({ path: testInfo.outputPath("bulk-agent-killed.png") });
    const list = dialog.getByRole("list", { name: "Outcome per session" });
    for (const r of steady) await expect(list.getByRole("listitem").filter({ hasText: r.name })).toContainText("success");
    for (const r of doomed) {
      const item = list.getByRole("listitem").filter({ hasText: r.name });
      await expect(item).toContainText("failed");
      // Words a user can act on, naming the computer; no internal address or library error.
      await expect(item).toContainText(new RegExp(`${computers.doomed} (is not answering|stopped answering)`));
      await expect(item).toContainText(/agent is running|back online/);
      await expect(item).not.toContainText(/\/v1\/|hang up|ECONN|socket|fetch failed/i);
    }
  });
});
