import fs from "node:fs";
import { io, type Socket } from "socket.io-client";
import { expect, test } from "./fixtures";
import { captureAction, cookieOf, replayAction } from "./support/replay";
import { disconnectHere, expectTerminalAttached, terminal } from "./support/session-page";
import { keepScreenshot, newSession, removeSession, unique } from "./support/sessions";

// Watch: help desk (and managers, admins) open a session's live terminal read-only. The watcher
// sees the screen as it is and then live output; the holder sees who watches and may end it;
// nothing a watcher's browser sends reaches the shell.

const watchedTerminal = (page: import("@playwright/test").Page) => page.locator('[data-testid="terminal"][data-mode="watch"]');
const presence = (page: import("@playwright/test").Page) => page.getByRole("list", { name: "Watching this session" });
const HANA = "Hana Helpdesk (help desk) is watching";

async function typeLine(page: import("@playwright/test").Page, line: string) {
  await terminal(page).click();
  await page.keyboard.type(line, { delay: 0 });
  await page.keyboard.press("Enter");
}

async function startWatching(page: import("@playwright/test").Page, sessionId: string) {
  await page.goto(`/sessions/${sessionId}`);
  await page.getByRole("button", { name: "Watch live terminal" }).click();
  await expect(watchedTerminal(page)).toHaveAttribute("data-status", "attached", { timeout: 20_000 });
}

/** A socket.io connection of the watcher's own, sending what a tampered browser would. */
function socketAs(baseURL: string, cookie: string): Promise<Socket> {
  const s = io(baseURL, { transports: ["websocket"], extraHeaders: { cookie, origin: baseURL }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

test("a help-desk watcher sees the screen and live output, cannot type, and the holder sees them come and go", async ({ pageAs, baseURL }, testInfo) => {
  test.setTimeout(120_000);
  const tech = await pageAs("technician");
  const name = unique("Watched");
  const label = `${name} on Srv1`;
  const id = await newSession(tech, { computer: "Srv1", name });
  const marker = unique("w");
  const planted = `/tmp/baton-e2e-${marker}-watcher`;
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await typeLine(tech, `echo before-$((40+2))-${marker}`);
    await expect(terminal(tech)).toContainText(`before-42-${marker}`, { timeout: 15_000 });

    // The current screen on open, then live output.
    const desk = await pageAs("helpdesk");
    await startWatching(desk, id);
    await expect(watchedTerminal(desk)).toContainText(`before-42-${marker}`);
    await expect(desk.getByRole("status").filter({ hasText: `Watching ${label} read-only` })).toBeVisible();
    await expect(presence(tech)).toContainText(HANA);
    await expect(presence(desk)).toContainText(HANA);
    await typeLine(tech, `echo live-$((6*7))-${marker}`);
    await expect(watchedTerminal(desk)).toContainText(`live-42-${marker}`, { timeout: 15_000 });
    await desk.evaluate(() => window.scrollTo(0, 0));
    await keepScreenshot(desk, testInfo, "watch-watcher");

    // Typing in the watcher's terminal goes nowhere.
    await watchedTerminal(desk).click();
    await desk.keyboard.type(`touch ${planted}-typed`, { delay: 0 });
    await desk.keyboard.press("Enter");

    // A tampered browser: the watcher's own socket watches, then sends keystrokes, a resize and an ack.
    const cookie = await cookieOf(desk);
    const s = await socketAs(baseURL!, cookie);
    const refused: string[] = [];
    s.on("terminal.refused", (m: { text: string }) => refused.push(m.text));
    try {
      const watched = await s.emitWithAck("terminal.watch", { sessionId: id });
      expect(watched).toMatchObject({ ok: true });
      s.emit("terminal.input", { sessionId: id, data: `touch ${planted}-socket\r` });
      s.emit("terminal.resize", { sessionId: id, cols: 20, rows: 5 });
      s.emit("terminal.ack", { sessionId: id, offset: 1_000_000 });
      // Nor may the watcher attach as if it held the session, nor end anyone's watch.
      expect(await s.emitWithAck("terminal.attach", { sessionId: id })).toMatchObject({ ok: false, error: expect.stringContaining("attached to") });
      expect(await s.emitWithAck("terminal.end-watch", { sessionId: id, userId: "anyone" })).toMatchObject({ ok: false });
      await expect.poll(() => refused.length).toBe(3);
      expect(refused[0]).toContain("read-only: typing is refused");
    } finally {
      s.close();
    }
    // The holder's shell still answers, and neither line ran: no file, no echo of them on its screen.
    await typeLine(tech, `ls ${planted}-typed ${planted}-socket 2>&1 | wc -l; echo checked-${marker}`);
    await expect(terminal(tech)).toContainText(`checked-${marker}`, { timeout: 15_000 });
    expect(fs.existsSync(`${planted}-typed`)).toBe(false);
    expect(fs.existsSync(`${planted}-socket`)).toBe(false);
    await expect(terminal(tech)).not.toContainText(`touch ${planted}`);
    await expect(terminal(tech)).toHaveAttribute("data-status", "attached");

    await keepScreenshot(tech, testInfo, "watch-holder");

    // Stopping the watch: the holder sees the watcher go.
    await desk.getByRole("button", { name: "Stop watching" }).click();
    await expect(presence(tech)).toBeHidden();

    // The holder ends a watch: the watcher's terminal closes and says who ended it.
    await desk.getByRole("button", { name: "Watch live terminal" }).click();
    await expect(presence(tech)).toContainText(HANA);
    await presence(tech).getByRole("button", { name: "End the watch of Hana Helpdesk (help desk)" }).click();
    await expect(watchedTerminal(desk)).toHaveAttribute("data-status", "closed");
    await expect(desk.getByRole("status").filter({ hasText: "ended your watch" })).toBeVisible();
    await expect(presence(tech)).toBeHidden();

    // The session's timeline shows the watches (the audit trail has them with actor and session).
    const history = tech.getByRole("list", { name: "State history" });
    await expect(history).toContainText("watch started");
    await expect(history).toContainText("watch stopped");
    await expect(history).toContainText("watcher's input refused (refused)");
    await expect(history).toContainText("ended the watch of Hana Helpdesk (help desk)");
  } finally {
    await removeSession(tech, id, label);
  }
});

test("a watcher gets live output of a disconnected session, and watching leaves it disconnected", async ({ pageAs }) => {
  test.setTimeout(120_000);
  const tech = await pageAs("technician");
  const name = unique("Away");
  const label = `${name} on Srv2`;
  const id = await newSession(tech, { computer: "Srv2", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await typeLine(tech, "for i in $(seq 1 400); do echo tick-$i; sleep 0.25; done");
    await expect(terminal(tech)).toContainText("tick-2", { timeout: 15_000 });
    await disconnectHere(tech, label);

    const desk = await pageAs("helpdesk");
    await startWatching(desk, id);
    // Live: the count goes on while watched (no frame of this session went to the console before).
    const lastTick = async () => {
      const text = (await watchedTerminal(desk).textContent()) ?? "";
      return Math.max(0, ...[...text.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
    };
    const first = await lastTick();
    await expect.poll(lastTick, { timeout: 15_000 }).toBeGreaterThan(first + 3);
    // Watching changed nothing: still disconnected, nobody attached.
    await tech.reload();
    await expect(tech.getByTestId("terminal-unavailable")).toContainText("No live terminal: disconnected");
  } finally {
    await removeSession(tech, id, label);
  }
});

test("a manager asks to join, the holder accepts, each typed line is attributed to its typist, and the holder ends the join", async ({ pageAs, baseURL }, testInfo) => {
  test.setTimeout(120_000);
  const tech = await pageAs("technician");
  const name = unique("Joined");
  const label = `${name} on Srv1`;
  const id = await newSession(tech, { computer: "Srv1", name });
  const marker = unique("j");
  const MAX = "Max Manager (manager)";
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    const boss = await pageAs("manager");
    await startWatching(boss, id);

    // Before the holder accepts, the manager's typing goes nowhere.
    await watchedTerminal(boss).click();
    await boss.keyboard.type(`echo early-${marker}`, { delay: 0 });
    await boss.keyboard.press("Enter");

    // A tampered browser's reason is refused by name and asks nothing: a bidi override, a line break, too long.
    const s = await socketAs(baseURL!, await cookieOf(boss));
    try {
      expect(await s.emitWithAck("terminal.watch", { sessionId: id })).toMatchObject({ ok: true });
      for (const [reason, says] of [
        ["INC\u202E-4711", "U+202E RIGHT-TO-LEFT OVERRIDE"],
        ["first line\nsecond line", "U+000A"],
        ["x".repeat(501), "at most 500 characters"],
      ]) {
        expect(await s.emitWithAck("terminal.join-request", { sessionId: id, reason })).toEqual({ ok: false, error: expect.stringContaining(says) });
      }
      await expect(presence(tech)).toContainText(`${MAX} is watching`);
    } finally {
      s.close();
    }

    // The reason dialog checks with the server's schema before sending, then the holder sees the reason.
    const why = `INC-4711 ${marker}: I'll show you the fix`;
    await boss.getByRole("button", { name: "Ask to join" }).click();
    const ask = boss.getByRole("dialog", { name: `Ask to join ${label}` });
    await ask.getByLabel("Reason (optional)").fill("INC\u202E-4711");
    await ask.getByRole("button", { name: "Send request" }).click();
    await expect(ask).toContainText("must not contain U+202E RIGHT-TO-LEFT OVERRIDE");
    await ask.getByLabel("Reason (optional)").fill(why);
    await expect(ask).toContainText(`${why.length} / 500`);
    await keepScreenshot(ask, testInfo, "join-reason-dialog");
    await ask.getByRole("button", { name: "Send request" }).click();
    await expect(ask).toBeHidden();
    await expect(presence(tech)).toContainText(`${MAX} asks to join: ${why}`);
    await keepScreenshot(presence(tech), testInfo, "join-request-presence");
    // Refused first: the manager keeps watching.
    await presence(tech).getByRole("button", { name: `Refuse ${MAX}` }).click();
    await expect(presence(tech)).toContainText(`${MAX} is watching`);
    await expect(watchedTerminal(boss)).toContainText("refused your request to join");

    // Asked again without a reason: the line says only that.
    await boss.getByRole("button", { name: "Ask to join" }).click();
    await boss.getByRole("dialog", { name: `Ask to join ${label}` }).getByRole("button", { name: "Send request" }).click();
    await expect(presence(tech).getByRole("listitem").filter({ hasText: MAX })).toContainText(/asks to join\s*Accept/);
    await presence(tech).getByRole("button", { name: `Let ${MAX} join` }).click();
    await expect(boss.getByRole("status").filter({ hasText: `Joined: what you type goes to ${label}` })).toBeVisible();
    await expect(presence(boss)).toContainText(`${MAX} has joined`);

    await watchedTerminal(boss).click();
    await boss.keyboard.type(`echo by-manager-${marker}`, { delay: 0 });
    await boss.keyboard.press("Enter");
    await expect(terminal(tech)).toContainText(`by-manager-${marker}`, { timeout: 15_000 });
    await typeLine(tech, `echo by-holder-${marker}`);
    await expect(watchedTerminal(boss)).toContainText(`by-holder-${marker}`, { timeout: 15_000 });
    await keepScreenshot(tech, testInfo, "join-holder");

    // Each line is recorded with its typist; the early line never ran.
    const history = tech.getByRole("table", { name: "Command history" });
    await expect(history.locator("tr").filter({ hasText: `echo by-manager-${marker}` })).toContainText("manager");
    await expect(history.locator("tr").filter({ hasText: `echo by-holder-${marker}` })).toContainText("tech");
    await expect(history).not.toContainText(`early-${marker}`);

    // The holder ends the join: the manager's terminal closes and their keystrokes stop.
    await presence(tech).getByRole("button", { name: `End the join of ${MAX}` }).click();
    await expect(watchedTerminal(boss)).toHaveAttribute("data-status", "closed");
    await expect(boss.getByRole("status").filter({ hasText: "ended your join" })).toBeVisible();
    await expect(presence(tech)).toBeHidden();
    const timelineList = tech.getByRole("list", { name: "State history" });
    await expect(timelineList).toContainText("join requested");
    await expect(timelineList).toContainText(why);
    await expect(timelineList).toContainText("join refused");
    await expect(timelineList).toContainText("join accepted");
    await expect(timelineList).toContainText("join ended");
  } finally {
    await removeSession(tech, id, label);
  }
});

test("no watching without asking: the holder chooses it, a watcher waits for the answer, refused then accepted; nobody attached means no watch", async ({ pageAs, playwright }, testInfo) => {
  test.setTimeout(150_000);
  const tech = await pageAs("technician");
  const name = unique("Private");
  const label = `${name} on Srv2`;
  const id = await newSession(tech, { computer: "Srv2", name });
  const marker = unique("p");
  const choice = (page: import("@playwright/test").Page) => page.getByTestId("watching-choice");
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await typeLine(tech, `echo private-$((40+2))-${marker}`);
    await expect(terminal(tech)).toContainText(`private-42-${marker}`, { timeout: 15_000 });
    // Default: watching allowed, said so; the holder turns on "no watching without asking".
    await expect(choice(tech)).toContainText("help desk, managers and admins may watch this session read-only");
    const turnOn = await captureAction(tech, [id], () => choice(tech).getByRole("checkbox", { name: "No watching without asking" }).check());
    await expect(choice(tech)).toContainText("only when the holder agrees");
    await expect(choice(tech).getByRole("checkbox", { name: "No watching without asking" })).toBeChecked();

    // Help desk sees the rule, has no switch, and a replay of the holder's switch is refused.
    const desk = await pageAs("helpdesk");
    await desk.goto(`/sessions/${id}`);
    await expect(choice(desk)).toContainText("only when the holder agrees");
    await expect(choice(desk).getByRole("checkbox")).toHaveCount(0);
    expect(await replayAction(playwright, turnOn, desk)).toContain("Your role (helpdesk) may not session watch-consent.");

    // Asking: the watcher sees nothing until the holder answers. Refused first.
    await desk.getByRole("button", { name: "Watch live terminal" }).click();
    await expect(desk.getByRole("status").filter({ hasText: `Asking tech to let you watch ${name}` })).toBeVisible({ timeout: 20_000 });
    await expect(watchedTerminal(desk)).not.toContainText(`private-42-${marker}`);
    await expect(presence(tech)).toContainText("Hana Helpdesk (help desk) asks to watch");
    await keepScreenshot(tech, testInfo, "watch-ask-holder");
    await presence(tech).getByRole("button", { name: "Refuse Hana Helpdesk (help desk) watching" }).click();
    await expect(watchedTerminal(desk)).toHaveAttribute("data-status", "failed");
    await expect(desk.getByRole("status").filter({ hasText: `tech refused your request to watch ${name}` })).toBeVisible();
    await expect(watchedTerminal(desk)).not.toContainText(`private-42-${marker}`);
    await expect(presence(tech)).toBeHidden();

    // Asked again and accepted: the screen, then live output.
    await desk.reload();
    await desk.getByRole("button", { name: "Watch live terminal" }).click();
    await presence(tech).getByRole("button", { name: "Let Hana Helpdesk (help desk) watch" }).click();
    await expect(watchedTerminal(desk)).toHaveAttribute("data-status", "attached", { timeout: 20_000 });
    await expect(watchedTerminal(desk)).toContainText(`private-42-${marker}`);
    await expect(presence(tech)).toContainText(HANA);
    await typeLine(tech, `echo seen-$((6*7))-${marker}`);
    await expect(watchedTerminal(desk)).toContainText(`seen-42-${marker}`, { timeout: 15_000 });
    const timeline = tech.getByRole("list", { name: "State history" });
    await expect(timeline).toContainText("watching setting changed");
    await expect(timeline).toContainText("asked to watch");
    await expect(timeline).toContainText("watch refused");
    await expect(timeline).toContainText("watch accepted");

    // Disconnected: nobody to ask, so no watch.
    await desk.goto(`/sessions/${id}`);
    await disconnectHere(tech, label);
    const cookie = await cookieOf(desk);
    const s = await socketAs(new URL(desk.url()).origin, cookie);
    try {
      expect(await s.emitWithAck("terminal.watch", { sessionId: id })).toMatchObject({ ok: false, error: expect.stringContaining("chose no watching without asking") });
    } finally {
      s.close();
    }
  } finally {
    await removeSession(tech, id, label);
  }
});
