import fs from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { auditRows, expectChainIntact, filterAudit, timeline } from "./support/audit";
import { captureAction, replayAction, type TCapturedAction } from "./support/replay";
import {
  disconnectHere,
  exitCodeOf,
  expectTerminalAttached,
  handOffHere,
  notAttached,
  expectNoticeShown,
  openSessionsList,
  pressInTerminal,
  recordNotices,
  runCommand,
  SESSION_ACTION_BUTTON,
  terminal,
  terminalLines,
} from "./support/session-page";
import { cellOf, disconnectFromRow, expectRow, filterSessions, keepScreenshot, newSession, property, removeSession, rowOf, unique } from "./support/sessions";

// The Disconnect-PSSession help page's Example 3 as Baton plays it, in two browsers: the
// technician (tech) starts ITTask and a long script on Srv1, Srv2 and Srv30; the script on Srv1
// fails; the technician disconnects Srv1's session and hands it to the manager (an audited
// handoff instead of the technician's credentials); the manager connects, diagnoses the missing
// directory, creates it, restarts the script, disconnects and hands it back; the technician
// receives what ran meanwhile. Each browser sees the other's steps live. Then the auditor reads
// every step, with its actor, in the trail; refused attempts are there too; the chain verifies.
//
// "ITTask" is the name the example fixes and other tests use it too: every assertion is scoped
// to the rows this test created, by their console ids.

const COMPUTERS = ["Srv1", "Srv2", "Srv30"] as const;
type TComputer = (typeof COMPUTERS)[number];
const NAME = "ITTask";
const LABEL = `${NAME} on Srv1`;

/**
 * Get-PatchStatus: appends to a status file in a directory nobody created yet and reports each
 * failure, for five minutes. One directory per computer (the demo fleet's agents share a host),
 * so fixing Srv1's does not fix the others.
 */
const patchScript = (dir: string) =>
  `for i in $(seq 1 300); do if { echo "patch $i" >> ${dir}/status.log; } 2>/dev/null; then echo "patch $i written"; else echo "ERROR: cannot write ${dir}/status.log (patch $i)"; fi; sleep 1; done`;

/** "Reload" would reset this; seeing it at the end proves the page followed along live. */
const markNoReload = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
const expectNoReload = async (page: Page) => expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

test("Example 3: tech hands ITTask on Srv1 to the manager, who fixes it and hands it back; tech receives; the auditor sees every step", async ({
  pageAs,
  playwright,
}, testInfo) => {
  // About a minute on a quiet machine; it walks the whole help-page example through four browsers,
  // and under the full suite (two workers on 2 cores) it took over four minutes.
  test.setTimeout(420_000);
  const tech = await pageAs("technician");
  const manager = await pageAs("manager");
  const base = `/tmp/${unique("baton-ex3")}`;
  const dirOf = (c: TComputer) => `${base}/${c}`;
  const dir = dirOf("Srv1");
  const ticket = `INC-${Date.now().toString().slice(-6)}`;
  const askForHelp = `${ticket}: Get-PatchStatus fails on Srv1, please investigate`;
  const giveBack = `${ticket}: ${dir} was missing; created it and restarted the script. Please add mkdir -p to Get-PatchStatus.`;
  const ls = `ls ${dir}`;
  const mkdir = `mkdir -p ${dir}`;
  const ids = {} as Record<TComputer, string>;
  let handOffToManager: TCapturedAction | undefined;
  let managersRun: TCapturedAction | undefined;

  try {
    await test.step("tech: $s = New-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask; Invoke-Command $s Get-PatchStatus", async () => {
      for (const c of COMPUTERS) ids[c] = await newSession(tech, { computer: c, name: NAME });
      for (const c of COMPUTERS) {
        await tech.goto(`/sessions/${ids[c]}`);
        await expectTerminalAttached(tech);
        await runCommand(tech, patchScript(dirOf(c)));
        // "The script running on the Srv1 computer generates unexpected errors."
        await expect(terminal(tech)).toContainText(`ERROR: cannot write ${dirOf(c)}/status.log (patch 2)`, { timeout: 20_000 });
        await expect(property(tech, "Running command")).toHaveText(patchScript(dirOf(c)));
      }
    });

    await test.step("tech: Get-PSSession -Name ITTask -ComputerName Srv1 | Disconnect-PSSession; Srv2's and Srv30's are not affected", async () => {
      await openSessionsList(tech);
      await filterSessions(tech, { computer: "Srv1", name: NAME });
      const row = rowOf(tech, ids.Srv1);
      await expectRow(tech, row, { State: "Opened", Availability: "Busy" });
      await disconnectFromRow(tech, row, LABEL);
      await expectRow(tech, row, { Name: NAME, ComputerName: "Srv1", State: "Disconnected", ConfigurationName: "Microsoft.PowerShell", Availability: "None" });

      // Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask
      await filterSessions(tech, { name: NAME });
      await expectRow(tech, rowOf(tech, ids.Srv1), { Name: NAME, ComputerName: "Srv1", State: "Disconnected", ConfigurationName: "Microsoft.PowerShell", Availability: "None" });
      for (const c of ["Srv2", "Srv30"] as const) {
        await expectRow(tech, rowOf(tech, ids[c]), { Name: NAME, ComputerName: c, State: "Opened", ConfigurationName: "Microsoft.PowerShell", Availability: "Busy", Holder: "you" });
      }
      // Its commands keep running while disconnected, in every one of them.
      for (const c of COMPUTERS) await expect(await cellOf(tech, rowOf(tech, ids[c]), "Running command")).toContainText(patchScript(dirOf(c)));
    });

    await test.step("tech hands it to the manager with a reason; the manager's open list is told live and shows it under Handed to me", async () => {
      await openSessionsList(manager, "?handed=me");
      await expect(manager.getByRole("checkbox", { name: "Handed to me" })).toBeChecked();
      await expect(rowOf(manager, ids.Srv1)).toHaveCount(0);
      await markNoReload(manager);
      await recordNotices(manager);

      await tech.goto(`/sessions/${ids.Srv1}`);
      await expect(notAttached(tech)).toBeVisible();
      handOffToManager = await captureAction(tech, [ids.Srv1, ticket], () => handOffHere(tech, LABEL, "manager", askForHelp));
      await expect(property(tech, "Handed to")).toContainText(`manager, by tech at`);
      await expect(property(tech, "Handed to")).toContainText(askForHelp);

      // Told at once, with a link to the session, and the "handed to me" view gains its row.
      expect(await expectNoticeShown(manager, `tech handed you ${NAME} on Srv1: “${askForHelp}”. View the session`)).toBe(`/sessions/${ids.Srv1}`);
      const row = rowOf(manager, ids.Srv1);
      await expectRow(manager, row, { Name: NAME, ComputerName: "Srv1", State: "Disconnected", Availability: "None", Owner: "tech", Holder: "—→ you" });
      await expectNoReload(manager);
      // Opened from its row: the notice shows only the newest handoff, which another test's may have replaced.
      await row.getByRole("link", { name: `Open ${LABEL}` }).click();
      await expect(manager).toHaveURL(new RegExp(`/sessions/${ids.Srv1}$`));
      await expect(notAttached(manager)).toContainText("No live terminal: handed to you");
      await expect(notAttached(manager)).toContainText(`tech handed it to you: “${askForHelp}”`);
    });

    // From here on the technician watches the list, live.
    await openSessionsList(tech);
    await filterSessions(tech, { computer: "Srv1", name: NAME });
    const techRow = rowOf(tech, ids.Srv1);
    await expectRow(tech, techRow, { State: "Disconnected", Availability: "None", Holder: "—→ manager" });
    await markNoReload(tech);
    await recordNotices(tech);

    await test.step("manager: Connect-PSSession (the handoff, not the technician's credentials); tech sees it attached to the manager", async () => {
      await manager.getByRole("button", { name: `Connect ${LABEL}` }).click();
      await expectTerminalAttached(manager);
      await expect(property(manager, "Holder")).toHaveText("manager (you)");
      await expect(property(manager, "Owner")).toHaveText("tech");
      // The failing script, live in the manager's terminal.
      await expect(terminal(manager)).toContainText(`ERROR: cannot write ${dir}/status.log`, { timeout: 20_000 });
      // PowerShell's view for everyone else: Disconnected, Busy.
      await expectRow(tech, techRow, { State: "Disconnected", Availability: "Busy", Holder: "manager→ manager" });
    });

    await test.step("refused while the manager holds it: tech's replayed hand-off; help desk has nothing to press", async () => {
      const answer = await replayAction(playwright, handOffToManager!, tech);
      expect(answer).toContain(`${NAME} is attached to manager; they must disconnect first, or a manager can take it over.`);
      await expectRow(tech, techRow, { State: "Disconnected", Availability: "Busy", Holder: "manager→ manager" });

      const help = await pageAs("helpdesk");
      await help.goto(`/sessions/${ids.Srv1}`);
      await expect(help.getByRole("heading", { level: 1, name: LABEL })).toBeVisible();
      await expect(notAttached(help)).toContainText("No live terminal: attached to manager");
      await expect(help.getByRole("button", { name: SESSION_ACTION_BUTTON })).toHaveCount(0);
      await expect(help.getByLabel("Command to run")).toHaveCount(0);
      await help.goto(`/sessions?computer=Srv1&name=${NAME}`);
      await expect(rowOf(help, ids.Srv1)).toBeVisible();
      await expect(help.getByRole("button", { name: SESSION_ACTION_BUTTON })).toHaveCount(0);
      await expect(help.getByRole("checkbox")).toHaveCount(0);
    });

    await test.step("manager: stops the script (Ctrl-C), finds the directory missing, creates it, restarts the script", async () => {
      await pressInTerminal(manager, "Control+C");
      await expect(exitCodeOf(manager, patchScript(dir), "tech")).toHaveText("130", { timeout: 20_000 });
      await expect(property(manager, "Running command")).toHaveText("—");
      await expect(await cellOf(tech, techRow, "Running command")).toHaveText("—");

      // Invoke-Command -Session $s {dir …}
      managersRun = await captureAction(manager, [ids.Srv1, ls], () => runCommand(manager, ls));
      await expect(exitCodeOf(manager, ls, "manager")).toHaveText("2", { timeout: 20_000 });
      await expect(terminal(manager)).toContainText(`ls: cannot access '${dir}': No such file or directory`);
      // Invoke-Command -Session $s {mkdir …}
      await runCommand(manager, mkdir);
      await expect(exitCodeOf(manager, mkdir, "manager")).toHaveText("0", { timeout: 20_000 });
      // Invoke-Command -Session $s -FilePath Get-PatchStatus
      await runCommand(manager, patchScript(dir));
      await expect(terminal(manager)).toContainText("patch 2 written", { timeout: 20_000 });
      await expect(exitCodeOf(manager, patchScript(dir), "manager")).toHaveText("running");
      await expect(await cellOf(tech, techRow, "Running command")).toContainText(patchScript(dir));
    });

    await test.step("help desk and auditor replaying the manager's Run are refused", async () => {
      const help = await pageAs("helpdesk");
      const auditor = await pageAs("auditor");
      expect(await replayAction(playwright, managersRun!, help)).toContain("Your role (helpdesk) may not session run.");
      expect(await replayAction(playwright, managersRun!, auditor)).toContain("Your role (auditor) may not session run.");
      await help.context().close();
      await auditor.context().close();
    });

    await test.step("manager: Disconnect-PSSession, then hands it back to tech; tech's list follows each step live", async () => {
      await disconnectHere(manager, LABEL);
      await expect(notAttached(manager)).toBeVisible();
      await expectRow(tech, techRow, { State: "Disconnected", Availability: "None", Holder: "—→ manager" });
      await expect(await cellOf(tech, techRow, "Running command")).toContainText(patchScript(dir));

      await handOffHere(manager, LABEL, "tech", giveBack);
      await expect(property(manager, "Handed to")).toContainText(giveBack);
      expect(await expectNoticeShown(tech, `manager handed you ${NAME} on Srv1: “${giveBack}”. View the session`)).toBe(`/sessions/${ids.Srv1}`);
      await expectRow(tech, techRow, { State: "Disconnected", Availability: "None", Holder: "—→ you" });
      await expectNoReload(tech);
    });

    await test.step("tech: Receive-PSSession: the output produced meanwhile, in order, no errors, and the dropped-bytes count", async () => {
      // Tech picks it up a little later: the row's buffer meter shows, live, the restarted
      // script's output waiting for a Receive (a few lines of "patch N written").
      const buffer = techRow.getByRole("progressbar", { name: `Output buffer of ${NAME}` });
      await expect.poll(async () => Number(await buffer.getAttribute("aria-valuenow")), { timeout: 20_000 }).toBeGreaterThanOrEqual(3 * "patch 10 written\r\n".length);
      await techRow.getByRole("button", { name: `Receive ${LABEL}` }).click();
      const dialog = tech.getByRole("dialog", { name: `Output received from ${LABEL}` });
      await expect(dialog.getByTestId("receive-summary")).toContainText("0 bytes dropped", { timeout: 20_000 });
      await expect(dialog.getByTestId("receive-summary")).toContainText("received");
      const output = (await dialog.getByLabel("Received output").textContent()) ?? "";
      const numbers = [...output.matchAll(/^patch (\d+) written$/gm)].map((m) => Number(m[1]));
      expect(numbers.length, output).toBeGreaterThanOrEqual(2);
      expect(numbers, "in order, none missing").toEqual(numbers.map((_, i) => numbers[0] + i));
      expect(output).not.toContain("ERROR");
      // Attached to tech again; the handoff to tech stays on record ("→ you") once accepted.
      await expectRow(tech, techRow, { State: "Opened", Availability: "Busy", Holder: /^you(→ you)?$/ });

      await dialog.getByRole("link", { name: `Open ${NAME}'s terminal` }).click();
      await expectTerminalAttached(tech);
      await expect(property(tech, "Dropped since last Receive")).toHaveText("0 bytes");
      // The restarted script carries on where the received output ends.
      const last = numbers[numbers.length - 1];
      await expect
        .poll(async () => Math.max(0, ...[...((await terminal(tech).textContent()) ?? "").matchAll(/patch (\d+) written/g)].map((m) => Number(m[1]))), { timeout: 20_000 })
        .toBeGreaterThan(last);
      // No error since the script was restarted. The failed first run's ERROR lines may still be
      // on screen above its command line, depending on the terminal's width.
      const sinceRestart = ((await terminal(tech).textContent()) ?? "").split("sleep 1; done").pop()!;
      expect(sinceRestart).toMatch(/patch \d+ written/);
      expect(sinceRestart).not.toContain("ERROR");
    });

    await test.step("auditor: the session's trail shows every step with its actor, refusals included; the chain verifies", async () => {
      const auditor = await pageAs("auditor");
      await filterAudit(auditor, { session: ids.Srv1, computer: "Srv1" });
      const rows = (await auditRows(auditor)).reverse(); // oldest first
      for (const r of rows) expect(r.target).toContain("Srv1");
      const steps = rows.filter((r) => r.actor === "tech" || r.actor === "manager").map((r) => `${r.actor} (${r.role}) ${r.action} ${r.outcome}`);
      expect(steps).toEqual([
        "tech (technician) session.new ok",
        "tech (technician) session.run ok",
        "tech (technician) session.disconnect ok",
        "tech (technician) session.handoff ok",
        "manager (manager) session.connect ok",
        "tech (technician) session.handoff refused",
        "manager (manager) terminal.interrupt ok",
        "manager (manager) session.run ok",
        "manager (manager) session.run ok",
        "manager (manager) session.run ok",
        "manager (manager) session.disconnect ok",
        "manager (manager) session.handoff ok",
        "tech (technician) session.receive ok",
      ]);
      const runs = rows.filter((r) => r.action === "session.run");
      // Help desk's and the auditor's refused replays of the manager's Run are on the session's trail too.
      expect(runs.map((r) => r.detail)).toEqual([
        expect.stringContaining("patch"),
        expect.stringContaining(ls),
        expect.stringContaining(mkdir),
        expect.stringContaining("patch"),
        expect.stringContaining("FORBIDDEN: Your role (helpdesk) may not session run."),
        expect.stringContaining("FORBIDDEN: Your role (auditor) may not session run."),
      ]);
      const handoffs = rows.filter((r) => r.action === "session.handoff" && r.outcome === "ok");
      expect(handoffs.map((r) => r.detail)).toEqual([expect.stringContaining(askForHelp), expect.stringContaining(giveBack)]);

      // The refusals, on their own, with why (newest first).
      await filterAudit(auditor, { session: ids.Srv1, outcome: "refused" });
      const refused = await auditRows(auditor);
      expect(refused.map((r) => `${r.actor} ${r.action} ${r.outcome}`)).toEqual(["auditor session.run refused", "helpdesk session.run refused", "tech session.handoff refused"]);
      expect(refused[2].detail).toContain(`INVALID_STATE: ${NAME} is attached to manager`);

      // Help desk's and the auditor's refused replays are in the trail, naming the session as their target and in their parameters.
      for (const who of ["helpdesk", "auditor"] as const) {
        await filterAudit(auditor, { actor: who, action: "session.run", outcome: "refused" });
        const ours = (await auditRows(auditor)).filter((r) => r.detail.includes(ids.Srv1));
        expect(ours, `${who}'s refused Run of ${ids.Srv1}`).toHaveLength(1);
        expect(ours[0].detail).toContain(`FORBIDDEN: Your role (${who}) may not session run.`);
        expect(ours[0].detail).toContain(ls);
        expect(ours[0].target).toContain("Srv1");
      }

      await auditor.goto("/audit");
      await expectChainIntact(auditor);
    });

    await test.step("auditor: the session's timeline (handoffs, commands with exit codes), read-only; screenshot", async () => {
      const auditor = await pageAs("auditor");
      await auditor.goto(`/audit/sessions/${ids.Srv1}`);
      await expect(auditor.getByRole("heading", { name: `Session ${LABEL}` })).toBeVisible();
      const t = timeline(auditor);
      await expect(t).toContainText(`Handed by tech to manager: “${askForHelp}”`);
      await expect(t).toContainText("manager took the handoff from tech");
      await expect(t).toContainText(`Handed by manager to tech: “${giveBack}”`);
      await expect(t).toContainText("tech took the handoff from manager");
      const commandEntry = (command: string) => t.getByRole("listitem").filter({ has: auditor.locator("code").getByText(`$ ${command}`, { exact: true }) });
      await expect(commandEntry(ls)).toContainText("exit 2");
      await expect(commandEntry(ls)).toContainText("by manager");
      await expect(commandEntry(mkdir)).toContainText("exit 0");
      await expect(commandEntry(patchScript(dir)).filter({ hasText: "by tech" })).toContainText("exit 130");
      await expect(commandEntry(patchScript(dir)).filter({ hasText: "by manager" })).toHaveCount(1);
      await expect(auditor.getByRole("button", { name: SESSION_ACTION_BUTTON })).toHaveCount(0);

      // The transcript has what ran in the session, the output produced while disconnected included.
      await auditor.getByRole("button", { name: "Show all" }).click();
      await expect(auditor.getByTestId("transcript-terminal")).toContainText(/patch \d+ written/);
      await auditor.getByRole("button", { name: "Show as page text" }).click();
      const transcript = auditor.getByRole("list", { name: "Transcript as text" }).getByRole("listitem");
      await expect(transcript).toHaveCount(4);
      await expect(transcript.nth(0)).toContainText("tech · exit 130");
      await expect(transcript.nth(0)).toContainText(`ERROR: cannot write ${dir}/status.log (patch 3)`);
      await expect(transcript.nth(1)).toContainText("manager · exit 2");
      await expect(transcript.nth(1)).toContainText(`ls: cannot access '${dir}': No such file or directory`);
      await expect(transcript.nth(2)).toContainText(`manager · exit 0$ ${mkdir}`);
      await expect(transcript.nth(3)).toContainText("manager · no exit code");
      await expect(transcript.nth(3)).toContainText("patch 3 written");
      // No failure once the directory exists (the command line itself shows "(patch $i)", never a number).
      await expect(transcript.nth(3)).not.toContainText(/ERROR: cannot write \S+ \(patch \d+\)/);

      // One image of the whole timeline: its list scrolls inside a 40rem box, which a page
      // screenshot would cut after the first few entries, so that limit is lifted for the picture.
      await auditor.addStyleTag({ content: 'ol[aria-label="Session timeline"] { max-height: none !important; }' });
      await keepScreenshot(auditor, testInfo, "example3-timeline", { fullPage: true });

      // The auditor has no sessions console at all.
      await auditor.goto("/sessions");
      await expect(auditor.getByRole("heading", { name: "No access to Sessions" })).toBeVisible();
      await expect(auditor.getByRole("button", { name: SESSION_ACTION_BUTTON })).toHaveCount(0);
    });
  } finally {
    // A manager may remove any session, whoever holds it.
    for (const c of COMPUTERS) if (ids[c]) await removeSession(manager, ids[c], `${NAME} on ${c}`).catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test("a technician's disconnect of a session the manager holds is refused by the agent and audited as refused", async ({ pageAs, playwright }) => {
  const tech = await pageAs("technician");
  const manager = await pageAs("manager");
  const name = unique("HandTask");
  const label = `${name} on Srv30`;
  const id = await newSession(tech, { computer: "Srv30", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    const disconnect = await captureAction(tech, [id], () => disconnectHere(tech, label));
    await handOffHere(tech, label, "manager", `${name}: please look`);

    await manager.goto(`/sessions/${id}`);
    await manager.getByRole("button", { name: `Connect ${label}` }).click();
    await expectTerminalAttached(manager);

    // The UI offers tech no Disconnect now; sent anyway, the agent refuses it (single-client rule).
    await tech.reload();
    await expect(tech.getByRole("button", { name: `Disconnect ${label}` })).toHaveCount(0);
    const answer = await replayAction(playwright, disconnect, tech);
    expect(answer).toContain(`The session ${name} cannot be disconnected because it is connected to another user (manager).`);
    await expect(property(manager, "Holder")).toHaveText("manager (you)");

    const auditor = await pageAs("auditor");
    await filterAudit(auditor, { session: id, action: "session.disconnect" });
    const rows = await auditRows(auditor);
    expect(rows.map((r) => `${r.actor} ${r.outcome}`)).toEqual(["tech refused", "tech ok"]);
    expect(rows[0].detail).toContain("cannot be disconnected because it is connected to another user (manager)");
  } finally {
    await removeSession(manager, id, label).catch(() => undefined);
  }
});

test("Connect shows the output produced while disconnected in the connecting user's terminal", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("ConnTask");
  const label = `${name} on Srv2`;
  const id = await newSession(tech, { computer: "Srv2", name });
  const ticks = async () => (await terminalLines(tech)).flatMap((l) => [...l.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await runCommand(tech, "for i in $(seq 1 200); do echo tick-$i; sleep 0.5; done");
    await expect(terminal(tech)).toContainText("tick-2");
    // A tick is printed every 0.5 s: the last one on screen and the time it took to disconnect
    // give the first tick surely printed while disconnected.
    const seen = Math.max(...(await ticks()));
    const asked = Date.now();
    await disconnectHere(tech, label);
    await expect(notAttached(tech)).toBeVisible();
    const firstUnseen = seen + Math.ceil((Date.now() - asked) / 500) + 2;
    // Some seconds of output wait in the buffer (the page's buffer meter shows it, live).
    const buffer = tech.getByRole("progressbar", { name: `Output buffer of ${name}` });
    await expect.poll(async () => Number(await buffer.getAttribute("aria-valuenow")), { timeout: 20_000 }).toBeGreaterThanOrEqual(6 * "tick-10\r\n".length);
    await tech.getByRole("button", { name: `Connect ${label}` }).click();
    await expectTerminalAttached(tech);
    await expect.poll(ticks, { timeout: 20_000 }).toEqual(expect.arrayContaining([firstUnseen, firstUnseen + 1, firstUnseen + 2]));
    // Everything from the first tick on, each once, in order: before, while and after the disconnect.
    const all = await ticks();
    expect(all).toEqual(all.map((_, i) => i + 1));
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});

test("a refused action by a role that may not act names the session it targeted (session filter and timeline)", async ({ pageAs, playwright }) => {
  const tech = await pageAs("technician");
  const name = unique("RefTask");
  const id = await newSession(tech, { computer: "Srv30", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    const run = await captureAction(tech, [id, "true"], () => runCommand(tech, "true"));
    const help = await pageAs("helpdesk");
    expect(await replayAction(playwright, run, help)).toContain("Your role (helpdesk) may not session run.");

    const auditor = await pageAs("auditor");
    await filterAudit(auditor, { session: id, outcome: "refused" });
    const rows = await auditRows(auditor);
    expect(rows.map((r) => `${r.actor} ${r.action} ${r.outcome}`)).toEqual(["helpdesk session.run refused"]);
    expect(rows[0].target).toContain("Srv30");
    await auditor.goto(`/audit/sessions/${id}`);
    await expect(timeline(auditor).getByRole("listitem").filter({ hasText: "session.run" }).filter({ hasText: "by helpdesk" })).toContainText("refused");
  } finally {
    await removeSession(tech, id, `${name} on Srv30`).catch(() => undefined);
  }
});
