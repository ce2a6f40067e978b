import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures";
import { demoUser } from "./support/users";
import { unique } from "./support/sessions";
import { startTestPostgres, type TestPostgres } from "../lib/testing/postgres";
import { TcpRelay } from "../lib/testing/tcp-relay";

// Degraded, not broken, in a real browser against a real outage: a second console (the same
// production build, demo accounts and demo fleet) runs on PostgreSQL behind a TCP relay this
// test cuts. The suite's own console uses SQLite, whose file cannot be taken away from a root
// process in a way that is both real and reversible; PostgreSQL going away is the real thing.
const PORT = Number(process.env.E2E_PORT ?? 3210) + 1;
const BASE = `http://127.0.0.1:${PORT}`;
const ROOT = path.resolve(import.meta.dirname, "..");

let postgres: TestPostgres;
let relay: TcpRelay;
let consoleProc: ChildProcess;
let logs = "";
let fleetDir = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  postgres = await startTestPostgres();
  await postgres.createDatabase();
  relay = await TcpRelay.to(postgres.url());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-outage-"));
  // Its own demo fleet directory: its agents outlive it by design, and must not land in (or
  // adopt) the developer's data/demo-fleet; afterAll stops them.
  fleetDir = path.join(dir, "demo-fleet");
  consoleProc = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["server.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: relay.via(postgres.url()),
      HOST: "127.0.0.1",
      PORT: String(PORT),
      NODE_ENV: "production",
      BATON_DEMO: "1",
      BATON_DEMO_AGENT_PORT: String(PORT + 2004),
      BATON_DEMO_FLEET_DIR: fleetDir,
      NEXT_TELEMETRY_DISABLED: "1",
      BATON_SECRET: "e2e-outage-secret-not-for-production-0123456789",
      BATON_AUDIT_KEY_FILE: path.join(dir, "audit-keys.json"),
      BATON_AUDIT_CHECKPOINT_DIR: path.join(dir, "checkpoints"),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  consoleProc.stdout?.on("data", (d: Buffer) => (logs += d.toString()));
  consoleProc.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
  await expect
    .poll(async () => (await fetch(`${BASE}/readyz`).then((r) => r.json()).catch(() => null))?.checks?.agents?.online ?? 0, {
      timeout: 150_000,
      message: "second console ready with its demo fleet online",
    })
    .toBeGreaterThanOrEqual(5);
});

test.afterAll(async () => {
  await relay?.open().catch(() => undefined);
  if (consoleProc && consoleProc.exitCode === null) {
    const exited = new Promise((r) => consoleProc.once("exit", r));
    consoleProc.kill("SIGTERM");
    await exited;
  }
  if (fleetDir) {
    await new Promise((resolve) =>
      spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/demo-stop.ts"], { cwd: ROOT, env: { ...process.env, BATON_DEMO_FLEET_DIR: fleetDir }, stdio: "ignore" }).once("exit", resolve),
    );
  }
  await relay?.cut();
  postgres?.stop();
});

test("health routes: /healthz answers, /readyz follows the database", async () => {
  const health = await fetch(`${BASE}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ok: true });
  const ready = await fetch(`${BASE}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ ready: true, checks: { database: { ok: true }, agents: { online: 5, offline: 0 } } });
  await relay.cut();
  try {
    const down = await fetch(`${BASE}/readyz`);
    expect(down.status).toBe(503);
    const body = await down.text();
    expect(JSON.parse(body)).toMatchObject({ ready: false, checks: { database: { ok: false }, agents: { online: 5 } } });
    expect(body).not.toMatch(/postgres|baton:baton|127\.0\.0\.1/);
    expect((await fetch(`${BASE}/healthz`)).status).toBe(200);
  } finally {
    await relay.open();
  }
});

test("during an outage: a banner, and New session answers inline with the dialog and what was typed kept", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  const tech = demoUser("technician");
  await page.goto("/sign-in");
  await page.getByLabel("Username").fill(tech.username);
  await page.getByLabel("Password").fill(tech.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toContainText(tech.displayName);

  await page.goto("/sessions");
  await expect(page.locator("[data-live-status=live]")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("database-banner")).toHaveCount(0);
  const name = unique("outage");
  await page.getByRole("button", { name: "New session" }).click();
  const dialog = page.getByRole("dialog", { name: "New session" });
  await dialog.getByLabel("Computer").selectOption({ label: "Srv1" });
  await dialog.getByLabel("Session name").fill(name);
  await dialog.getByLabel("Idle timeout (seconds)").fill("900");

  await relay.cut();
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog.getByText("The console's database is unavailable; try again in a moment.")).toBeVisible({ timeout: 20_000 });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Session name")).toHaveValue(name);
  await expect(dialog.getByLabel("Idle timeout (seconds)")).toHaveValue("900");
  const banner = page.getByTestId("database-banner");
  await expect(banner).toContainText("The console's database is unavailable.");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("database-outage.png"), fullPage: true });
  fs.mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  fs.copyFileSync(testInfo.outputPath("database-outage.png"), path.join(ROOT, "reports", "database-outage.png"));

  // Back: the banner goes by itself, and the same dialog creates the session.
  await relay.open();
  await expect(banner).toHaveCount(0, { timeout: 20_000 });
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
  await expect(page.getByRole("status").filter({ hasText: `Created ${name} on Srv1` })).toBeVisible();

  // A page loaded while the database is away says so instead of the generic error page.
  await relay.cut();
  try {
    await page.goto("/sessions");
    await expect(page.getByTestId("database-banner")).toBeVisible();
    await expect(page.getByText("This page cannot be shown right now")).toBeVisible();
    await page.screenshot({ path: path.join(ROOT, "reports", "database-outage-page.png"), fullPage: true });
  } finally {
    await relay.open();
  }
  // …and shows itself once the database is back, without the user reloading.
  await expect(page.getByRole("heading", { name: "Sessions", level: 1 })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("database-banner")).toHaveCount(0);
  await context.close();
});
