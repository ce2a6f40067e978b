import { expect, test } from "./fixtures";
import { disconnectHere, runCommand } from "./support/session-page";
import { filterSessions, newSession, unique } from "./support/sessions";

// Receive-PSSession over a selection: each session's output, produced while nobody was
// connected, is kept with the job and shown per session in the bulk dialog.
test("bulk Receive of 3 sessions shows each one's output", async ({ pageAs }) => {
  test.setTimeout(120_000);
  const tech = await pageAs("technician");
  const prefix = unique("Night");
  const names = [0, 1, 2].map((i) => `${prefix}-${i}`);
  const ids: string[] = [];
  for (const [i, name] of names.entries()) {
    const id = await newSession(tech, { computer: "Server01", name });
    ids.push(id);
    await tech.goto(`/sessions/${id}`);
    // Output that comes well after the disconnect: no terminal showed it, only a Receive does.
    await runCommand(tech, `sleep 6; echo night-run-${i}-$((6*7))`);
    await disconnectHere(tech, `${name} on Server01`);
  }
  // Each one's command has finished and its line waits in the buffer (the session page's data
  // says so) before the Receive. Bytes alone are not enough: the shell's echo of the command line
  // may land in the buffer too, if the disconnect came before the terminal showed it.
  for (const [i, id] of ids.entries()) {
    await expect
      .poll(
        async () => {
          const { session } = (await (await tech.request.get(`/api/sessions/${id}`)).json()) as { session: { bufferedBytes: number; runningCommand: string | null } };
          return session.runningCommand === null && session.bufferedBytes >= `night-run-${i}-42`.length;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
  }

  await filterSessions(tech, { name: `${prefix}*` });
  for (const name of names) await tech.getByLabel(`Select ${name} on Server01`).check();
  await tech.getByRole("button", { name: "Receive 3 selected" }).click();
  const dialog = tech.getByRole("dialog");
  await expect(dialog.getByRole("heading", { name: "Receive 3 sessions?" })).toBeVisible();
  await dialog.getByRole("button", { name: "Receive 3 sessions" }).click();
  await expect(dialog.getByRole("status").filter({ hasText: "Finished: 3 of 3 done" })).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByText("3 succeeded")).toBeVisible();

  for (const [i, name] of names.entries()) {
    await dialog.getByRole("button", { name: `Show output of ${name}` }).click();
    const output = dialog.getByLabel(`Output received from ${name}`);
    await expect(output).toContainText(`night-run-${i}-42`);
    await expect(output).not.toContainText(`night-run-${(i + 1) % 3}-42`);
  }
  await expect(dialog.getByText("0 bytes dropped")).toHaveCount(3);

  // The job stays on record after the dialog closes: the Jobs view lists it with its outcomes,
  // and its output downloads as one archive (one file per session, and a summary).
  await tech.goto("/jobs");
  const card = tech.getByRole("region", { name: /^Job: Receive of 3 sessions/ }).first();
  await expect(card.getByRole("status").filter({ hasText: "Finished: 3 of 3 done" })).toBeVisible();
  for (const name of names) await expect(card.getByRole("list", { name: "Outcome per session" })).toContainText(name);
  const href = await card.getByRole("link", { name: /Download output/ }).getAttribute("href");
  const archive = await tech.request.get(href!);
  expect(archive.status()).toBe(200);
  expect(archive.headers()["content-type"]).toBe("application/x-tar");
  const files = untar(await archive.body());
  expect(files.get("summary.txt")).toContain("ok      Server01");
  for (const [i, name] of names.entries()) {
    const entry = [...files.entries()].find(([n]) => n.startsWith(`Server01/${name}-`));
    expect(entry?.[1]).toContain(`night-run-${i}-42`);
  }
});

/** The entries of a ustar archive (name -> text). */
function untar(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let at = 0; at + 512 <= buf.length; ) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = Number.parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim(), 8);
    out.set(name, buf.subarray(at + 512, at + 512 + size).toString("utf8"));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
