import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { captureAction, cookieOf } from "./support/replay";
import { expectTerminalAttached, runCommand } from "./support/session-page";
import { newSession, unique } from "./support/sessions";
import { demoUser } from "./support/users";

// The console as a hostile page sees it. Cookies are not bound to a port, so a page served from
// another port of the console's host (or a sibling subdomain) is "same-site": the browser
// attaches the technician's session cookie to its WebSocket and its POSTs. Only the origin
// check stands between that page and the technician's terminal.

type TAttacker = { origin: string; close: () => Promise<void> };

/** A tiny site on another loopback port: one page that loads the socket.io client. */
async function startAttackerSite(): Promise<TAttacker> {
  const client = fs.readFileSync(path.join(import.meta.dirname, "..", "node_modules", "socket.io-client", "dist", "socket.io.min.js"));
  const server: Server = createServer((req, res) => {
    if (req.url === "/socket.io.min.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(client);
    res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>Totally harmless</title><script src="/socket.io.min.js"></script><p>hi</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type TAuditRow = { action: string; outcome: string; actorName: string; error: string | null; params: unknown };
async function auditRows(auditor: Page, action: string): Promise<TAuditRow[]> {
  const res = await auditor.request.get(`/api/audit?action=${encodeURIComponent(action)}&size=100`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { rows: TAuditRow[] }).rows;
}
const paramsOf = (row: TAuditRow) => (typeof row.params === "string" ? row.params : JSON.stringify(row.params));

test("a page from another origin in the technician's browser can neither attach to the terminal nor run a server action", async ({ pageAs, baseURL, playwright }) => {
  const tech = await pageAs("technician");
  const name = unique("xorigin");
  const sessionId = await newSession(tech, { computer: "Srv1", name });
  await tech.goto(`/sessions/${sessionId}`);
  await expectTerminalAttached(tech);
  const marker = `/tmp/baton-e2e-${unique("pwned")}`;
  const legit = `echo ${unique("legit")}`;
  const run = await captureAction(tech, [sessionId, legit], () => runCommand(tech, legit));
  const actionId = run.headers["next-action"];

  const attacker = await startAttackerSite();
  try {
    // Same browser context: the technician's cookie for 127.0.0.1 goes along with every request.
    const evil = await tech.context().newPage();
    await evil.goto(attacker.origin);
    const outcome = await evil.evaluate(
      async ({ consoleUrl, sessionId, marker, run, actionId }) => {
        const w = window as unknown as { io: (url: string, opts: object) => { on: (e: string, f: (x?: unknown) => void) => void; emit: (...a: unknown[]) => void; close: () => void } };
        const trySocket = (transports: string[]) =>
          new Promise<string>((resolve) => {
            const s = w.io(consoleUrl, { transports, reconnection: false, withCredentials: true, forceNew: true });
            s.on("connect", () => {
              // What the attack did before the fix: attach to the victim's terminal and type.
              s.emit("terminal.attach", { sessionId }, () => s.emit("terminal.input", { sessionId, data: `touch ${marker}-socket\r` }));
              setTimeout(() => resolve("connected"), 1500);
            });
            s.on("connect_error", (e) => (s.close(), resolve(`refused (${(e as Error).message})`)));
            setTimeout(() => resolve("timeout"), 10_000);
          });
        const websocket = await trySocket(["websocket"]);
        const polling = await trySocket(["polling"]);

        // The captured action, as a CORS fetch (preflighted) and as a form post (no preflight).
        const body = run.body.replace(/echo [a-z0-9-]+/, `touch ${marker}-action`);
        const cors = await fetch(run.url, { method: "POST", credentials: "include", headers: { "next-action": run.headers["next-action"], "content-type": run.headers["content-type"] }, body })
          .then((r) => `status ${r.status}`)
          .catch((e: Error) => `failed (${e.message})`);
        const form = new FormData();
        form.append(`$ACTION_ID_${actionId}`, "");
        form.append("sessionId", sessionId);
        form.append("command", `touch ${marker}-form`);
        const noCors = await fetch(run.url, { method: "POST", mode: "no-cors", credentials: "include", body: form })
          .then((r) => `opaque ${r.type}`)
          .catch((e: Error) => `failed (${e.message})`);
        return { websocket, polling, cors, noCors };
      },
      { consoleUrl: baseURL!, sessionId, marker, run, actionId },
    );
    expect(outcome.websocket).toMatch(/^refused/);
    expect(outcome.polling).toMatch(/^refused/);
    expect(outcome.cors).toMatch(/^failed/); // its preflight got a 403, so the POST was never sent
    expect(outcome.noCors).toBe("opaque opaque"); // sent; the page cannot read the 403

    // The same requests with the attacker's Origin, read from outside the browser: 403 and a message.
    const ctx = await playwright.request.newContext();
    const cookie = await cookieOf(tech);
    const handshake = await ctx.get(`${baseURL}/socket.io/?EIO=4&transport=polling`, { headers: { origin: attacker.origin, cookie } });
    expect(handshake.status()).toBe(403);
    expect(await handshake.text()).toContain(`Refused: origin ${attacker.origin} is not one of the console's origins`);
    const action = await ctx.post(run.url, { headers: { origin: attacker.origin, cookie, "next-action": actionId, "content-type": run.headers["content-type"] }, data: run.body });
    expect(action.status()).toBe(403);
    expect(await action.json()).toEqual({
      error: { code: "FORBIDDEN_ORIGIN", message: `Refused: origin ${attacker.origin} is not one of the console's origins. Baton accepts requests only from its own pages (${baseURL}, http://localhost:${new URL(baseURL!).port}, http://[::1]:${new URL(baseURL!).port}).` },
    });
    const api = await ctx.get(`${baseURL}/api/sessions`, { headers: { origin: attacker.origin, cookie } });
    expect(api.status()).toBe(403);
    await ctx.dispose();

    // Nothing ran: no marker file, no command in the session's history but the technician's own.
    await tech.waitForTimeout(1500);
    for (const suffix of ["socket", "action", "form"]) expect(fs.existsSync(`${marker}-${suffix}`)).toBe(false);
    const auditor = await pageAs("auditor");
    const runs = await auditRows(auditor, "session.run");
    expect(runs.filter((r) => paramsOf(r).includes(marker))).toEqual([]);

    // Both refusals are in the trail, attributed to the technician whose cookie came along
    // (repeats within a minute are counted, not audited again). The CORS preflight carries no
    // cookie, so its refusal is anonymous.
    const refusals = (await auditRows(auditor, "security.origin-refused")).filter((r) => paramsOf(r).includes(attacker.origin));
    const byTech = refusals.filter((r) => r.actorName === demoUser("technician").username);
    expect(byTech.map((r) => JSON.parse(paramsOf(r)).channel as string).sort()).toEqual(["http", "socket.io"]);
    for (const r of refusals) {
      expect(r.outcome).toBe("refused");
      expect(r.error).toBe(`FORBIDDEN_ORIGIN: origin ${attacker.origin} is not one of the console's origins`);
    }
    expect(paramsOf(byTech.find((r) => paramsOf(r).includes('"http"'))!)).toContain(`/sessions/${sessionId}`);
    expect(refusals.filter((r) => r.actorName !== demoUser("technician").username).map((r) => [r.actorName, JSON.parse(paramsOf(r)).method])).toEqual([
      ["(anonymous)", "OPTIONS"],
    ]);

    // The console's own page is unaffected: its socket is live and its terminal attached.
    await tech.reload();
    await expectTerminalAttached(tech);
  } finally {
    await attacker.close();
  }
});

test("pages carry a nonce-based CSP, frame-ancestors 'none', no-sniff and a referrer policy, and the console runs under them", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const violations: string[] = [];
  tech.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(m.text())) violations.push(m.text());
  });
  const res = await tech.goto("/sessions");
  const headers = res!.headers();
  const csp = headers["content-security-policy"];
  const nonce = csp.match(/script-src 'self' 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'(;|$)/)?.[1];
  expect(nonce, csp).toBeTruthy();
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  expect(headers).toMatchObject({ "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY" });

  // Every script Next rendered carries this response's nonce; a second load gets a new one.
  const nonces = await tech.locator("script").evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce));
  expect(nonces.length).toBeGreaterThan(0);
  expect(new Set(nonces)).toEqual(new Set([nonce]));
  const again = (await tech.request.get("/sessions")).headers()["content-security-policy"];
  expect(again).not.toContain(nonce!);

  // Injected markup's inline handler does not run (the usual shape of an XSS payload).
  await tech.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<img alt="" src="/no-such-image" onerror="window.__injected = true">'));
  await tech.waitForTimeout(500);
  expect(await tech.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  // The browser reported the refusal, so the check for violations below can see them.
  await expect.poll(() => violations.some((v) => /inline event handler/.test(v))).toBe(true);
  violations.length = 0;

  // The live channel and a terminal work under the policy.
  await expect(tech.locator("[data-live-status=live]")).toBeVisible({ timeout: 20_000 });
  const sessionId = await newSession(tech, { computer: "Srv1", name: unique("csp") });
  await tech.goto(`/sessions/${sessionId}`);
  await expectTerminalAttached(tech);
  await runCommand(tech, "echo under-csp");
  expect(violations).toEqual([]);

  // JSON routes forbid everything and are not framable either.
  const api = await tech.request.get("/api/sessions");
  expect(api.headers()["content-security-policy"]).toContain("default-src 'none'");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
});

test("a burst of wrong passwords: growing delays, then a lockout that refuses the right password and says when to retry, in two audit rows", async ({ pageAs, browser }) => {
  const admin = await pageAs("admin");
  await admin.goto("/users");
  const username = unique("lock").slice(0, 30);
  const password = "the-right-password-123";
  await admin.getByLabel("Username").fill(username);
  await admin.getByLabel("Full name").fill("Lockout Target");
  await admin.getByLabel("Initial password").fill(password);
  await admin.getByRole("button", { name: "Add user" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Created ${username}.` })).toBeVisible();

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-in");
  const alert = page.getByRole("alert").filter({ hasText: /\S/ });
  const submit = async (pw: string) => {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(pw);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    return (await alert.textContent())?.trim();
  };

  // Guess after guess; a guess sent inside the delay is not even checked and says how long to wait.
  const waitSeconds = (message: string | undefined) => Number(message?.match(/^Too many failed sign-ins\. Wait, then try again in (\d+) seconds?\.$/)?.[1]);
  let checked = 0;
  let waits = 0;
  while (checked < 4) {
    const message = await submit(`wrong-${checked}`);
    if (message === "Wrong username or password.") checked++;
    else {
      expect(waitSeconds(message), message).toBeGreaterThan(0);
      waits++;
      await page.waitForTimeout(waitSeconds(message) * 1000 + 300);
    }
  }
  // After the 4th failure the delay is 8 s: an immediate retry is refused unchecked.
  const early = await submit("wrong-early");
  expect(waitSeconds(early), early).toBeGreaterThan(0);
  expect(waitSeconds(early)).toBeLessThanOrEqual(8);
  await page.waitForTimeout(waitSeconds(early) * 1000 + 300);
  expect(await submit("wrong-last")).toMatch(/^Wrong username or password\. Too many failed sign-ins: this account is locked\. Try again in 15 minutes \(at \d\d:\d\d UTC\)\.$/);
  expect(await submit(password)).toMatch(/^Too many failed sign-ins: this account is locked\. Try again in 15 minutes \(at \d\d:\d\d UTC\)\.$/);
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await context.cookies()).find((c) => c.name.includes("baton_session"))).toBeUndefined();
  await context.close();

  const auditor = await pageAs("auditor");
  const rows = [...(await auditRows(auditor, "auth.sign-in")), ...(await auditRows(auditor, "auth.lockout"))].filter((r) => r.actorName === username);
  expect(rows.map((r) => r.action).sort()).toEqual(["auth.lockout", "auth.sign-in"]);
  // The lockout event counts what was not audited one by one: failures 2 to 5 and every unchecked retry.
  expect(JSON.parse(paramsOf(rows.find((r) => r.action === "auth.lockout")!))).toMatchObject({ failures: 5, attemptsSinceLastEvent: 4 + waits + 1 });
  expect(rows.find((r) => r.action === "auth.lockout")!.error).toMatch(new RegExp(`^5 failed sign-ins: account ${username} locked until `));
});
