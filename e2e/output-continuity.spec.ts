import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures";
import { blipLiveChannel, expectTerminalAttached, numberedLines, openSessionsList, runCommand, terminal, terminalLines } from "./support/session-page";
import { disconnectFromRow, newSession, removeSession, rowOf, unique } from "./support/sessions";

// Nothing lost between the shell and the screen: wherever the holder looks at a session, the
// terminal shows its output from where they last saw it, each line once and in order.

// Each test lets output run for some seconds while the holder is away: more than the default
// minute on a shared 2-core machine running the suite with two workers.
test.describe.configure({ timeout: 120_000 });

// The e2e fleet's agents run on this machine: a command marks its end with a file the test
// awaits, instead of the test guessing how long the command takes on a busy machine.
const doneFile = (name: string) => path.join(os.tmpdir(), `baton-e2e-${name}.done`);
async function commandDone(file: string) {
  await expect.poll(() => fs.existsSync(file), { timeout: 30_000, message: `the command finished (${file})` }).toBe(true);
  fs.rmSync(file, { force: true });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Receive from the session page's action bar; returns the summary text and the output. */
async function receiveHere(page: import("@playwright/test").Page, label: string) {
  await page.getByRole("button", { name: `Receive ${label}` }).click();
  const dialog = page.getByRole("dialog", { name: `Output received from ${label}` });
  const summary = dialog.getByTestId("receive-summary");
  await expect(summary).toContainText("received", { timeout: 20_000 });
  const result = { summary: (await summary.textContent()) ?? "", output: (await dialog.getByLabel("Received output").textContent()) ?? "" };
  await dialog.getByRole("button", { name: "Close" }).click();
  return result;
}

test("Connect from another browser shows all of what ran while disconnected, once each, in order; Receive then has nothing new", async ({ pageAs }) => {
  const first = await pageAs("technician");
  const name = unique("Ticks");
  const label = `${name} on Srv2`;
  const id = await newSession(first, { computer: "Srv2", name });
  try {
    await first.goto(`/sessions/${id}`);
    await expectTerminalAttached(first);
    const done = doneFile(name);
    await runCommand(first, `for i in $(seq 1 40); do echo tick $i; sleep 0.1; done; touch ${done}`);
    await openSessionsList(first);
    await disconnectFromRow(first, rowOf(first, id), label);
    // The loop finishes while nobody is attached.
    await commandDone(done);

    const second = await pageAs("technician");
    await openSessionsList(second);
    await rowOf(second, id).getByRole("button", { name: `Connect ${label}` }).click();
    await expect(rowOf(second, id).getByRole("button", { name: `Disconnect ${label}` })).toBeVisible({ timeout: 20_000 });
    await second.goto(`/sessions/${id}`);
    await expectTerminalAttached(second);
    await expect.poll(() => numberedLines(second, "tick"), { timeout: 20_000 }).toEqual(range(40));
    const received = await receiveHere(second, label);
    expect(received.summary).toContain("0 bytes received");
    expect(received.output).not.toMatch(/tick \d+/);
  } finally {
    await removeSession(first, id, label).catch(() => undefined);
  }
});

test("output printed while the holder is on another page is there when they come back, and Receive agrees", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Away");
  const label = `${name} on Srv1`;
  const id = await newSession(tech, { computer: "Srv1", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    const done = doneFile(name);
    await runCommand(tech, `echo before; sleep 1; for i in $(seq 1 20); do echo w $i; sleep 0.2; done; touch ${done}`);
    await expect.poll(() => terminalLines(tech), { timeout: 20_000 }).toContain("before");
    await openSessionsList(tech);
    await commandDone(done);
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await expect.poll(() => numberedLines(tech, "w"), { timeout: 20_000 }).toEqual(range(20));
    expect((await terminalLines(tech)).filter((l) => l === "before")).toHaveLength(1);
    // The terminal showed it all, so Receive has nothing left to hand over.
    await expect.poll(async () => (await receiveHere(tech, label)).summary, { timeout: 10_000 }).toContain("0 bytes received");
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});

test("lines printed between leaving the terminal and disconnecting from the list are what Receive hands over", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Unseen");
  const label = `${name} on Srv30`;
  const id = await newSession(tech, { computer: "Srv30", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await runCommand(tech, "echo seen-line");
    await expect.poll(() => terminalLines(tech), { timeout: 20_000 }).toContain("seen-line");
    // The next lines come after the holder has left the terminal for the list: the command
    // waits for a file this test creates once the list is open (the e2e fleet's agents run on
    // this machine), and marks with another file that it printed them; no guessing at timings.
    const gate = path.join(os.tmpdir(), `baton-e2e-${name}`);
    await runCommand(tech, `while [ ! -e ${gate}.go ]; do sleep 0.1; done; for i in $(seq 1 5); do echo later $i; done; touch ${gate}.done`);
    await openSessionsList(tech);
    fs.writeFileSync(`${gate}.go`, "");
    await commandDone(`${gate}.done`);
    fs.rmSync(`${gate}.go`, { force: true });
    await disconnectFromRow(tech, rowOf(tech, id), label);
    await rowOf(tech, id).getByRole("button", { name: `Receive ${label}` }).click();
    const dialog = tech.getByRole("dialog", { name: `Output received from ${label}` });
    await expect(dialog.getByTestId("receive-summary")).toContainText("received", { timeout: 20_000 });
    const output = (await dialog.getByLabel("Received output").textContent()) ?? "";
    expect([...output.matchAll(/^later (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(range(5));
    expect(output).not.toContain("seen-line");
    await expect(dialog.getByTestId("receive-summary")).toContainText(/bytes [\d,]+–[\d,]+ of the session's output/);
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});

test("a page reload in the middle of output loses and repeats nothing", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Reload");
  const label = `${name} on Srv2`;
  const id = await newSession(tech, { computer: "Srv2", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await runCommand(tech, "for i in $(seq 1 60); do echo r $i; sleep 0.05; done");
    await expect.poll(async () => (await numberedLines(tech, "r")).length, { timeout: 20_000 }).toBeGreaterThan(5);
    await tech.reload();
    await expectTerminalAttached(tech);
    await expect.poll(() => numberedLines(tech, "r"), { timeout: 20_000 }).toEqual(range(60));
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});

test("a live-channel reconnect in the middle of output fills the gap from the terminal's own cursor", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Blip");
  const label = `${name} on Srv1`;
  const id = await newSession(tech, { computer: "Srv1", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await runCommand(tech, "for i in $(seq 1 80); do echo b $i; sleep 0.05; done");
    await expect.poll(async () => (await numberedLines(tech, "b")).length, { timeout: 20_000 }).toBeGreaterThan(5);
    const before = await terminal(tech).evaluate((el) => (el as HTMLElement & { batonCursor?: () => number | null }).batonCursor?.());
    await blipLiveChannel(tech);
    await expect(terminal(tech)).toHaveAttribute("data-status", "offline");
    await expectTerminalAttached(tech);
    await expect.poll(() => numberedLines(tech, "b"), { timeout: 20_000 }).toEqual(range(80));
    // Same terminal (not a fresh replay): its cursor only moved forward.
    const after = await terminal(tech).evaluate((el) => (el as HTMLElement & { batonCursor?: () => number | null }).batonCursor?.());
    expect(after).toBeGreaterThan(before ?? 0);
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});

test("a full-screen program is drawn on attach, in a second browser of the holder", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  const name = unique("Top");
  const label = `${name} on Srv30`;
  const id = await newSession(tech, { computer: "Srv30", name });
  try {
    await tech.goto(`/sessions/${id}`);
    await expectTerminalAttached(tech);
    await terminal(tech).click();
    // top refreshes only every 100 s: what a new terminal shows is the attach's own doing.
    await tech.keyboard.type("top -d 100\n");
    await expect.poll(async () => (await terminalLines(tech))[0] ?? "", { timeout: 20_000 }).toMatch(/^top - /);

    const other = await pageAs("technician");
    await other.goto(`/sessions/${id}`);
    await expectTerminalAttached(other);
    await expect.poll(async () => (await terminalLines(other))[0] ?? "", { timeout: 20_000 }).toMatch(/^top - /);
    await expect.poll(async () => (await terminalLines(other)).some((l) => /PID\s+USER/.test(l)), { timeout: 20_000 }).toBe(true);
    // The alternate screen holds exactly the terminal's rows: no garbage above or below.
    const lines = await terminalLines(other);
    expect(lines.filter((l) => /^top - /.test(l))).toHaveLength(1);
    await terminal(other).click();
    await other.keyboard.type("q");
  } finally {
    await removeSession(tech, id, label).catch(() => undefined);
  }
});
