import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pty from "node-pty";
import { REPO_ROOT, startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { serveApi } from "@/lib/testing/api-server";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// The baton CLI as child processes against the REST API's route handlers over real HTTP, a real
// store and four real agents: the help page's examples (reference/disconnect-pssession-help.txt)
// translated literally, new-session over several computers, --what-if (changes nothing) and
// --confirm (asks on the terminal, refuses without one), and a binary-exact receive-session.
prepareTestDatabase();
process.env.BATON_SECRET = "cli-test-secret-0123456789abcdef0123456789";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const tokens = await import("@/lib/auth/access-tokens");
import type { TSessionUser } from "@/lib/auth/session-store";

const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };
const boss: TSessionUser = { id: "u-boss", username: "boss", displayName: "Boss", role: "manager", team: null };

// Server12 hosts ITTasks, whose limits let Example 2 keep a session for 24 hours and hold a few
// MB of output; the others have Microsoft.PowerShell's defaults (MaxIdleTimeout 12 hours).
const COMPUTERS: { name: string; configurations?: unknown[] }[] = [
  { name: "Srv1" },
  { name: "Srv2" },
  { name: "Srv30" },
  { name: "Server12", configurations: [{ name: "ITTasks", maxIdleTimeoutMs: 7 * 86_400_000, outputBufferSizeBytes: 16 * 1024 * 1024, outputRetainBytes: 16 * 1024 * 1024 }] },
];

const agents: RunningAgent[] = [];
let fleet: InstanceType<typeof Fleet>;
let served: { url: string; close: () => Promise<void> };
let env: Record<string, string>;
let bossEnv: Record<string, string>;

beforeAll(async () => {
  for (const u of [tech, boss]) await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  // One at a time: the machine is shared, and an agent gets 20 s to start.
  const started: RunningAgent[] = [];
  for (const c of COMPUTERS) started.push(await startAgent({ name: c.name, configurations: c.configurations }));
  agents.push(...started);
  for (const [i, c] of COMPUTERS.entries()) await db.computer.create({ data: { name: c.name, address: started[i].baseUrl, tokenCiphertext: seal(started[i].token) } });
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
  await until(async () => {
    const all = await db.computer.findMany({ select: { id: true, _count: { select: { configurations: true } } } });
    return all.every((c) => c._count.configurations > 0 && fleet.link(c.id).status === "online") || null;
  }, { what: "links online", timeoutMs: 60_000 });
  served = await serveApi({ realtime: true });
  const base = { BATON_URL: served.url, BATON_CONFIG: "/nonexistent/baton.json" };
  env = { ...base, BATON_TOKEN: (await tokens.createAccessToken({ actor: tech, input: { name: "cli", expiresInDays: 1 } })).token };
  bossEnv = { ...base, BATON_TOKEN: (await tokens.createAccessToken({ actor: boss, input: { name: "cli", expiresInDays: 1 } })).token };
}, 90_000);

afterAll(async () => {
  await served?.close();
  await fleet?.stop();
  await Promise.all(agents.map((a) => (a.proc.exitCode === null && a.proc.signalCode === null ? a.stop() : undefined)));
});

type TRun = { code: number; stdout: string; stderr: string };

/** Runs a shell command line (pipelines included) in the repo, `baton` meaning the CLI. */
function sh(command: string, withEnv: Record<string, string> = env, opts: { detached?: boolean } = {}): Promise<TRun> {
  const line = command.replaceAll(/(^|\| *)baton /g, "$1node bin/baton.mjs ");
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", line], { cwd: REPO_ROOT, env: { ...process.env, ...withEnv }, stdio: ["ignore", "pipe", "pipe"], detached: opts.detached });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const jsonLines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
const stateOf = async (computer: string, name: string) => (await db.session.findFirstOrThrow({ where: { name, computer: { name: computer }, state: { not: "Closed" } } })).state;
const auditCount = (action: string) => db.auditEvent.count({ where: { action } });

/** The CLI in a pseudo-terminal: its output so far, typing, resizing, and its exit. */
function inTerminal(command: string, withEnv: Record<string, string>) {
  const term = pty.spawn("sh", ["-c", command.replaceAll(/(^|\| *)baton /g, "$1node bin/baton.mjs ")], { cwd: REPO_ROOT, env: { ...process.env, ...withEnv } as Record<string, string>, cols: 120, rows: 40 });
  let screen = "";
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    screen: () => screen,
    /** Waits until the output holds `text` `times` times. */
    waitFor: (text: string, times = 1) => until(() => screen.split(text).length > times || null, { what: `${JSON.stringify(text)} on the terminal:\n${screen}`, timeoutMs: 30_000 }),
    type: (text: string) => term.write(text),
    resize: (cols: number, rows: number) => term.resize(cols, rows),
    exited,
  };
}

describe("new-session", () => {
  it("creates the session on every computer named, space-separated, comma-listed or both, and checks every name before creating any", async () => {
    const made = await sh("baton new-session --computer-name Srv1, Srv2 Srv30 --name Batch --idle-timeout-sec 3600 --output-buffering-mode Drop");
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout.split("\n")[0]).toMatch(/^Id +Name +ComputerName +State +ConfigurationName +Availability$/);
    for (const c of ["Srv1", "Srv2", "Srv30"]) expect(made.stdout).toMatch(new RegExp(`Batch +${c} +Opened +Microsoft\\.PowerShell +Available`));
    const rows = await db.session.findMany({ where: { name: "Batch" }, include: { computer: true } });
    expect(rows.map((r) => r.computer.name).sort()).toEqual(["Srv1", "Srv2", "Srv30"]);
    expect(rows.every((r) => r.outputBufferingMode === "Drop" && r.idleTimeoutSec === 3600)).toBe(true);
    const audited = await db.auditEvent.findMany({ where: { action: "session.new", sessionName: "Batch", outcome: "ok" } });
    expect(audited.map((e) => e.computerName).sort()).toEqual(["Srv1", "Srv2", "Srv30"]);

    // One unknown computer: named, exit code 4, and nothing created on the known ones.
    const before = await db.session.count();
    const unknown = await sh("baton new-session -c Srv1,Nowhere -n Stray");
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("baton: No computer named Nowhere. Nothing was created.");
    const noConfig = await sh("baton new-session -c Srv1 Server12 -n Stray --configuration-name ITTasks");
    expect(noConfig.code).toBe(4);
    expect(noConfig.stderr).toContain('Srv1 has no session configuration "ITTasks". Nothing was created.');
    const emptyName = await sh("baton new-session -c Srv1,,Srv2 -n Stray");
    expect(emptyName.code).toBe(2);
    expect(emptyName.stderr).toContain("--computer-name has an empty name");
    expect(await db.session.count()).toBe(before);

    // --what-if: what would be made, nothing made, nothing audited as made.
    const newEvents = await auditCount("session.new");
    const whatIf = await sh("baton new-session -c Srv2,Srv30 -n Maybe --what-if");
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(whatIf.stdout).toBe(
      'What if: Performing the operation "New-PSSession" on target "Name: Maybe, ComputerName: Srv2" with configuration Microsoft.PowerShell.\n' +
        'What if: Performing the operation "New-PSSession" on target "Name: Maybe, ComputerName: Srv30" with configuration Microsoft.PowerShell.\n',
    );
    expect(await db.session.count({ where: { name: "Maybe" } })).toBe(0);
    expect(await auditCount("session.new")).toBe(newEvents);
  }, 120_000);
});

describe("the help page's examples", () => {
  it("Example 1: Disconnect-PSSession -Name UpdateSession", async () => {
    expect((await sh("baton new-session -c Srv1 -n UpdateSession")).code).toBe(0);
    const out = await sh("baton disconnect-session --name UpdateSession");
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^Name +ComputerName +State\n-+ +-+ +-+\nUpdateSession +Srv1 +Disconnected\n$/);
    const listed = await sh("baton get-session -n UpdateSession");
    expect(listed.stdout).toMatch(/UpdateSession +Srv1 +Disconnected +Microsoft\.PowerShell +None/);
  }, 60_000);

  it("Example 2: Get-PSSession -ComputerName Server12 -Name ITTask | Disconnect-PSSession -OutputBufferingMode Drop -IdleTimeoutSec 86400", async () => {
    expect((await sh("baton new-session -c Server12 -n ITTask --configuration-name ITTasks")).code).toBe(0);
    const out = await sh("baton get-session --computer-name Server12 --name ITTask --json | baton disconnect-session --output-buffering-mode Drop --idle-timeout-sec 86400");
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/ITTask +Server12 +Disconnected/);
    const row = await db.session.findFirstOrThrow({ where: { name: "ITTask", computer: { name: "Server12" } } });
    expect(row).toMatchObject({ state: "Disconnected", outputBufferingMode: "Drop", idleTimeoutSec: 86400 });
    const listed = await sh("baton get-session -c Server12 -n ITTask");
    expect(listed.stdout).toMatch(/ITTask +Server12 +Disconnected +ITTasks +None/);
  }, 60_000);

  it("Example 3: ITTask on Srv1, Srv2, Srv30; Srv1 disconnected alone, handed to the manager, who connects, repairs and disconnects", async () => {
    const made = await sh("baton new-session -c Srv1, Srv2, Srv30 -n ITTask --json");
    expect(made.code, made.stderr).toBe(0);
    const sessions = jsonLines(made.stdout);
    expect(sessions.map((s) => s.computerName)).toEqual(["Srv1", "Srv2", "Srv30"]);
    for (const s of sessions) {
      const ran = await sh(`baton invoke-command --id ${s.id} --script-block 'ls "$HOME/PatchStatusOutput-${s.computerName}" 2>&1 || echo PATCH-FAILED'`);
      expect(ran.code, ran.stderr).toBe(0);
    }

    // Get-PSSession -Name ITTask -ComputerName Srv1 | Disconnect-PSSession: only Srv1's.
    const one = await sh("baton get-session --name ITTask --computer-name Srv1 --json | baton disconnect-session");
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/ITTask +Srv1 +Disconnected/);
    const all = await sh("baton get-session --computer-name Srv1, Srv2, Srv30 --name ITTask");
    expect(all.stdout.trim().split("\n").slice(2).map((l) => l.split(/ +/).slice(1, 4))).toEqual([
      ["ITTask", "Srv1", "Disconnected"],
      ["ITTask", "Srv2", "Opened"],
      ["ITTask", "Srv30", "Opened"],
    ]);

    // The technician hands it to the manager (the console's handoff, through the API).
    const srv1 = sessions[0].id as string;
    const handed = await fetch(`${served.url}/api/v1/sessions/${srv1}/handoff`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.BATON_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ toUsername: "boss", reason: "PATCH-FAILED on Srv1, ticket 4711" }),
    });
    expect(handed.status, await handed.clone().text()).toBe(200);

    // The manager: Get-PSSession, Connect-PSSession, Invoke-Command (mkdir, rerun), Disconnect-PSSession.
    const seen = await sh("baton get-session -c Srv1 -n ITTask", bossEnv);
    expect(seen.stdout).toMatch(/ITTask +Srv1 +Disconnected +Microsoft\.PowerShell/);
    const connected = await sh("baton connect-session -c Srv1 -n ITTask", bossEnv);
    expect(connected.code, connected.stderr).toBe(0);
    expect(connected.stdout).toMatch(/ITTask +Srv1 +Opened/);
    const dir = path.join(os.homedir(), "PatchStatusOutput-Srv1");
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      for (const command of [`mkdir "$HOME/PatchStatusOutput-Srv1"`, `ls -d "$HOME/PatchStatusOutput-Srv1" && echo PATCH-OK`]) {
        const ran = await sh(`baton invoke-command --id ${srv1} --script-block '${command}'`, bossEnv);
        expect(ran.code, ran.stderr).toBe(0);
        await until(async () => (await db.session.findUniqueOrThrow({ where: { id: srv1 } })).runningCommand === null || null, { what: "command finished" });
      }
      expect(fs.existsSync(dir)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const received = await sh(`baton receive-session --id ${srv1}`, bossEnv);
    expect(received.stdout).toContain("PATCH-OK");
    const back = await sh(`baton disconnect-session --id ${srv1}`, bossEnv);
    expect(back.code, back.stderr).toBe(0);
    expect(await stateOf("Srv1", "ITTask")).toBe("Disconnected");
    const trail = await db.auditEvent.findMany({ where: { sessionId: srv1, outcome: "ok" }, orderBy: { seq: "asc" } });
    expect(trail.map((e) => `${e.actorName} ${e.action}`)).toEqual(
      expect.arrayContaining(["tech session.new", "tech session.disconnect", "tech session.handoff", "boss session.connect", "boss session.run", "boss session.disconnect"]),
    );

    // The pipeline over the three computers, first as --what-if: the console's prediction per
    // session (Srv1 is already disconnected), nothing changed, no disconnect audited.
    const disconnects = await auditCount("session.disconnect");
    const whatIf = await sh("baton get-session --computer-name Srv1,Srv2,Srv30 --name ITTask --json | baton disconnect-session --what-if");
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(whatIf.stdout).toBe(
      [
        'What if: Performing the operation "Disconnect-PSSession" on target "Name: ITTask, ComputerName: Srv1": Disconnected → Disconnected; already disconnected: no change.',
        'What if: Performing the operation "Disconnect-PSSession" on target "Name: ITTask, ComputerName: Srv2": Opened → Disconnected.',
        'What if: Performing the operation "Disconnect-PSSession" on target "Name: ITTask, ComputerName: Srv30": Opened → Disconnected.',
        "",
      ].join("\n"),
    );
    expect([await stateOf("Srv2", "ITTask"), await stateOf("Srv30", "ITTask")]).toEqual(["Opened", "Opened"]);
    expect(await auditCount("session.disconnect")).toBe(disconnects);
    const asJson = jsonLines((await sh("baton disconnect-session -c Srv2 -n ITTask --what-if --json")).stdout);
    expect(asJson).toEqual([expect.objectContaining({ whatIf: true, operation: "disconnect", computerName: "Srv2", state: "Opened", resultingState: "Disconnected" })]);

    // --confirm without a terminal (no controlling tty: setsid) is an error, and changes nothing.
    const noTty = await sh("baton get-session -c Srv1,Srv2,Srv30 -n ITTask --json | baton disconnect-session --confirm", env, { detached: true });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("baton: --confirm asks on the terminal before each change, and this process has no terminal");
    expect([await stateOf("Srv2", "ITTask"), await stateOf("Srv30", "ITTask")]).toEqual(["Opened", "Opened"]);

    // --confirm in a terminal, targets from the pipe: asked per session; yes to Srv2, no to Srv30.
    const term = inTerminal("baton get-session -c Srv2,Srv30 -n ITTask --json | baton disconnect-session --confirm", env);
    await term.waitFor('"Name: ITTask, ComputerName: Srv2" (Opened → Disconnected).');
    await term.waitFor('(default is "N"): ');
    term.type("y\r");
    await term.waitFor('"Name: ITTask, ComputerName: Srv30" (Opened → Disconnected).');
    await term.waitFor('(default is "N"): ', 2);
    term.type("\r");
    expect(await term.exited, term.screen()).toBe(0);
    expect(term.screen()).toMatch(/ITTask +Srv2 +Disconnected/);
    expect([await stateOf("Srv2", "ITTask"), await stateOf("Srv30", "ITTask")]).toEqual(["Disconnected", "Opened"]);
  }, 180_000);

  it("Example 4: an idle timeout over the configuration's maximum is refused, naming the session and the limits, exit code 1", async () => {
    expect((await sh("baton new-session -c Srv1 -n Example4")).code).toBe(0);
    const out = await sh("baton get-session -c Srv1 -n Example4 --json | baton disconnect-session --idle-timeout-sec 172800");
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(
      "Srv1/Example4: The session Example4 cannot be disconnected because the specified idle timeout value 172800 (seconds) is either greater than the server maximum allowed 43200 (seconds) or less than the minimum allowed 60 (seconds).",
    );
    expect(await stateOf("Srv1", "Example4")).toBe("Opened");
    expect(await db.auditEvent.findFirst({ where: { action: "session.disconnect", sessionName: "Example4" }, orderBy: { seq: "desc" } })).toMatchObject({ outcome: "refused" });
  }, 60_000);
});

describe("receive-session", () => {
  it("writes 5 MiB of binary output byte for byte as the shell on the agent wrote it (sha256)", async () => {
    const made = jsonLines((await sh("baton new-session -c Server12 -n Blob --configuration-name ITTasks --json")).stdout);
    const id = made[0].id as string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-cli-"));
    const blob = path.join(dir, "blob.bin");
    try {
      // The shell makes 5 MiB of random bytes and writes them to its terminal in raw mode (no
      // newline translation), between markers (printed in two halves, so the echoed command line
      // does not hold them); the agent's copy is the file it wrote.
      const script = `head -c 5242880 /dev/urandom > ${blob}; stty raw -echo; printf '%s%s' '<<<BLOB' '-START>>>'; cat ${blob}; printf '%s%s' '<<<BLOB' '-END>>>'; stty sane`;
      const ran = await sh(`baton invoke-command --id ${id} --in-disconnected-session --script-block "${script}"`);
      expect(ran.code, ran.stderr).toBe(0);
      await until(async () => (await db.session.findUniqueOrThrow({ where: { id } })).runningCommand === null || null, { what: "command finished", timeoutMs: 60_000 });
      const out = await new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) =>
        execFile("node", ["bin/baton.mjs", "receive-session", "--id", id], { cwd: REPO_ROOT, encoding: "buffer", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
        ),
      );
      expect(out.code, out.stderr).toBe(0);
      const start = out.stdout.indexOf("<<<BLOB-START>>>") + "<<<BLOB-START>>>".length;
      const end = out.stdout.lastIndexOf("<<<BLOB-END>>>");
      expect(start, "start marker").toBeGreaterThan(15);
      const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
      const agentBytes = fs.readFileSync(blob);
      expect(end - start).toBe(agentBytes.length);
      expect(sha(out.stdout.subarray(start, end))).toBe(sha(agentBytes));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("connect-session --attach", () => {
  it("connects, gives the session's terminal here (typing, output, resize), acks what it showed, and detaches on Ctrl-] leaving it Opened", async () => {
    const made = jsonLines((await sh("baton new-session -c Srv2 -n Attach1 --json")).stdout);
    const id = made[0].id as string;
    expect((await sh(`baton disconnect-session --id ${id}`)).code).toBe(0);

    // Not in a terminal: refused before anything changes.
    const noTty = await sh(`baton connect-session --id ${id} --attach`);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("--attach gives an interactive terminal and needs one");
    expect(await stateOf("Srv2", "Attach1")).toBe("Disconnected");

    const term = inTerminal(`baton connect-session --id ${id} --attach`, env);
    await term.waitFor("Detach: Ctrl-] (the session stays Opened).");
    expect(await stateOf("Srv2", "Attach1")).toBe("Opened");
    term.type("echo attached-$((6*7))\r");
    await term.waitFor("attached-42");
    // SIGWINCH: the local terminal's new size reaches the session's terminal.
    term.resize(101, 31);
    term.type("stty size\r");
    await term.waitFor("31 101");
    term.type("\x1d");
    expect(await term.exited, term.screen()).toBe(0);
    expect(term.screen()).toContain("Detached from Attach1 on Srv2. It stays Opened and attached to you");

    // As when the console's terminal tab closes: still Opened, held by its user.
    const row = await db.session.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ state: "Opened", holderId: tech.id });
    // What the terminal showed was acked: Receive returns only what came after.
    const received = await sh(`baton receive-session --id ${id}`);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout).not.toContain("attached-42");
    expect(received.stdout).not.toContain("31 101");
  }, 120_000);

  it("authenticates the terminal channel with the token: a wrong token is refused at the handshake, a revoked one mid-session", async () => {
    const { io } = await import("socket.io-client");
    const wrong = io(served.url, { transports: ["websocket"], auth: { token: `baton_pat_${"C".repeat(43)}` }, reconnection: false });
    const refusal = await new Promise<string>((resolve) => wrong.once("connect_error", (err) => resolve(err.message)));
    wrong.close();
    expect(refusal).toBe("unauthorized: The access token is not valid.");
    expect(await db.auditEvent.findFirst({ where: { action: "socket.authenticate" }, orderBy: { seq: "desc" } })).toMatchObject({ outcome: "refused", actorName: "(anonymous)" });

    const { token, row } = await tokens.createAccessToken({ actor: tech, input: { name: "attach-once", expiresInDays: 1 } });
    const made = jsonLines((await sh("baton new-session -c Srv30 -n Attach2 --json")).stdout);
    const term = inTerminal(`baton connect-session -c Srv30 -n Attach2 --attach`, { ...env, BATON_TOKEN: token });
    await term.waitFor("Detach: Ctrl-]");
    term.type("echo still-$((2*21))\r");
    await term.waitFor("still-42");
    await tokens.revokeAccessToken({ actor: tech, tokenId: row.id });
    term.type("echo after-revoke\r");
    expect(await term.exited, term.screen()).toBe(3);
    expect(term.screen()).toMatch(/The console closed the terminal: The access token attach-once was revoked at /);
    expect(term.screen()).not.toContain("after-revoke\r\nafter-revoke");
    const refused = await db.auditEvent.findFirst({ where: { action: "socket.authenticate", actorName: "tech" }, orderBy: { seq: "desc" } });
    expect(refused).toMatchObject({ outcome: "refused" });
    expect(refused!.error).toContain("attach-once was revoked");
    expect(made[0].name).toBe("Attach2");
  }, 120_000);
});
