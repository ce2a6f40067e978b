import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActAs, AgentStream } from "../../fleet/agent-client";
import type { TCommandInfo, TFinishedCommand, TSessionUpdatedMessage, TStreamServerMessage } from "../../protocol";
import { alice, bob, sleep, startAgent, until, waitForCommand, type RunningAgent } from "./helpers";

// Attribution of what is typed in a terminal (input), as an auditor relies on it: each line bash
// reads is reported with its text and typist, lines the shell keeps out of its history are
// reported as missing (never as the previous line), control keys are reported by name and user,
// and what a program reads with echo off never leaves the agent.

let agent: RunningAgent;
let stream: AgentStream;
const events: TStreamServerMessage[] = [];
/** Every text frame as sent, before any parsing, to search for secrets. */
const rawFrames: string[] = [];
const output = new Map<string, Buffer[]>();

beforeAll(async () => {
  agent = await startAgent({ name: "Attr1" });
  stream = await agent.client.openStream();
  stream.on("message", (m) => events.push(m));
  stream.ws.on("message", (data, isBinary) => {
    if (!isBinary) rawFrames.push(data.toString());
  });
  stream.on("output", (f) => output.set(f.instanceId, [...(output.get(f.instanceId) ?? []), f.data]));
});
afterAll(async () => {
  await stream?.close();
  await agent?.stop();
});

const updates = (instanceId: string) =>
  events.filter((e): e is TSessionUpdatedMessage => e.type === "session.updated" && e.session.instanceId === instanceId);
const textOf = (instanceId: string) => Buffer.concat(output.get(instanceId) ?? []).toString();

/** Types one line (as `as`) and waits until bash finished it; returns what the agent reported. */
async function typeLine(as: ActAs, s: { id: number; instanceId: string }, line: string): Promise<{ started: TCommandInfo; finished: TFinishedCommand }> {
  const before = updates(s.instanceId).length;
  await agent.client.input(as, s.id, `${line}\r`);
  const finished = await until(
    () => updates(s.instanceId).slice(before).find((e) => e.change === "command.finished" && e.command?.source === "terminal"),
    { what: `"${line}" finished` },
  );
  const started = updates(s.instanceId)
    .slice(before)
    .find((e) => e.change === "command.started" && e.session.command?.id === finished.command!.id);
  return { started: started!.session.command!, finished: finished.command! };
}

describe("typed command lines", () => {
  it("reports each line bash read with its text, typist and exit code, and `run` commands as run", async () => {
    const s = await agent.client.newSession(alice, { name: "Typed" }, { streamId: stream.id });
    const hi = await typeLine(alice, s, "echo hi");
    expect(hi.started).toMatchObject({ command: "echo hi", source: "terminal", typedBy: { id: alice.id, name: alice.name } });
    expect(hi.finished).toMatchObject({ command: "echo hi", exitCode: 0, typedBy: { id: alice.id } });
    expect((await typeLine(alice, s, "(exit 3)")).finished).toMatchObject({ command: "(exit 3)", exitCode: 3 });

    // A multi-line command is one line of history; non-ASCII survives.
    await agent.client.input(alice, s.id, "for w in été x; do\r");
    const loop = await typeLine(alice, s, "echo $w; done");
    expect(loop.finished.command).toBe("for w in été x; do echo $w; done");

    // A `run` command is reported as run, and its wrapper never shows up in the history.
    const { commandId } = await agent.client.run(alice, s.id, { command: "echo from-run" });
    await waitForCommand(agent, alice, s.id, commandId);
    expect(textOf(s.instanceId)).toContain("from-run\r\n");
    const runStarted = updates(s.instanceId).find((e) => e.change === "command.started" && e.session.command?.command === "echo from-run");
    expect(runStarted?.session.command).toMatchObject({ source: "run" });
    expect(runStarted?.session.command?.typedBy).toBeUndefined();
    const hist = await typeLine(alice, s, "history");
    expect(hist.finished.command).toBe("history");
    await until(() => textOf(s.instanceId).includes("history\r\n"), { what: "history output" });
    expect(textOf(s.instanceId)).not.toContain("__baton");
    // The line typed after a run is its own, not the run's.
    expect((await typeLine(alice, s, "echo after-run")).finished.command).toBe("echo after-run");
    await agent.client.remove(alice, s.id);
  });

  it("reports a line kept out of the history as missing, never as the previous line", async () => {
    const s = await agent.client.newSession(alice, { name: "Hidden" }, { streamId: stream.id });
    expect((await typeLine(alice, s, "HISTCONTROL=ignorespace")).finished.command).toBe("HISTCONTROL=ignorespace");
    const hidden = await typeLine(alice, s, " echo hidden-by-space");
    expect(hidden.finished).toMatchObject({ command: null, source: "terminal", typedBy: { id: alice.id } });

    expect((await typeLine(alice, s, "set +o history")).finished.command).toBe("set +o history");
    expect((await typeLine(alice, s, "echo while-off")).finished.command).toBeNull();
    // Read while history was off, so not in it either.
    expect((await typeLine(alice, s, "set -o history")).finished.command).toBeNull();
    expect((await typeLine(alice, s, "echo back-on")).finished.command).toBe("echo back-on");

    // ignoredups drops a repeated line: missing, not the first one's text again.
    expect((await typeLine(alice, s, "HISTCONTROL=ignoredups")).finished.command).toBe("HISTCONTROL=ignoredups");
    expect((await typeLine(alice, s, "echo twice")).finished.command).toBe("echo twice");
    expect((await typeLine(alice, s, "echo twice")).finished.command).toBeNull();

    expect((await typeLine(alice, s, "HISTSIZE=0")).finished.command).toBe("HISTSIZE=0");
    expect((await typeLine(alice, s, "echo no-history-at-all")).finished.command).toBeNull();
    await agent.client.remove(alice, s.id);
  });

  it("attributes each line to whoever typed it across a takeover", async () => {
    const s = await agent.client.newSession(alice, { name: "Handed" }, { streamId: stream.id });
    expect((await typeLine(alice, s, "echo by-alice")).finished.typedBy).toEqual({ id: alice.id, name: alice.name });
    await agent.client.connect(bob, s.id, { streamId: stream.id, force: true });
    expect((await typeLine(bob, s, "echo by-bob")).finished).toMatchObject({ command: "echo by-bob", typedBy: { id: bob.id, name: bob.name } });
    await agent.client.remove(bob, s.id);
  });
});

describe("echo off", () => {
  it("never reports what a program read with echo off, in any event, output or log line", async () => {
    const secret = "hunter2-Sekr1t-" + Math.random().toString(36).slice(2);
    const s = await agent.client.newSession(alice, { name: "Secret" }, { streamId: stream.id });
    const before = updates(s.instanceId).length;
    await agent.client.input(alice, s.id, `read -rs -p $'Pass\\x77ord: ' pw; echo "got ${"$"}{#pw} chars"\r`);
    await until(() => textOf(s.instanceId).includes("Password: "), { what: "the password prompt" });
    for (const ch of secret) await agent.client.input(alice, s.id, ch);
    await agent.client.input(alice, s.id, "\r");
    await until(() => textOf(s.instanceId).includes(`got ${secret.length} chars`), { what: "the read to finish" });
    const finished = await until(() => updates(s.instanceId).slice(before).find((e) => e.change === "command.finished"), { what: "finished" });
    expect(finished.command?.command).toBe(`read -rs -p $'Pass\\x77ord: ' pw; echo "got ${"$"}{#pw} chars"`);
    // The same secret typed at a `sudo`-style prompt of another program (head with echo off).
    // (The prompts are spelt with escapes so the echoed command line does not contain them.)
    await agent.client.input(alice, s.id, "stty -echo; printf 'Pass\\x70hrase: '; head -n1 >/dev/null; stty echo; echo done-2\r");
    await until(() => textOf(s.instanceId).includes("Passphrase: "), { what: "the second prompt" });
    await agent.client.input(alice, s.id, `${secret}\r`);
    await until(() => textOf(s.instanceId).includes("done-2"), { what: "the second prompt to finish" });
    await sleep(200);

    expect(rawFrames.join("\n")).not.toContain(secret);
    expect(textOf(s.instanceId)).not.toContain(secret);
    expect(agent.logs()).not.toContain(secret);
    expect(JSON.stringify(await agent.client.getSession(alice, s.id))).not.toContain(secret);
    await agent.client.remove(alice, s.id);
  });
});

describe("control keys", () => {
  it("reports Ctrl-C with the user who pressed it and the command it interrupted", async () => {
    const s = await agent.client.newSession(alice, { name: "Interrupt" }, { streamId: stream.id });
    const before = updates(s.instanceId).length;
    await agent.client.input(alice, s.id, "sleep 30\r");
    await until(() => updates(s.instanceId).slice(before).find((e) => e.change === "command.started"), { what: "sleep started" });
    await agent.client.connect(bob, s.id, { streamId: stream.id, force: true });
    await agent.client.input(bob, s.id, "\x03");
    const control = await until(() => updates(s.instanceId).find((e) => e.change === "input.control"), { what: "control event" });
    expect(control.control).toMatchObject({ key: "Ctrl-C", count: 1, by: { id: bob.id, name: bob.name }, command: { command: "sleep 30", typedBy: { id: alice.id } } });
    const finished = await until(() => updates(s.instanceId).find((e) => e.change === "command.finished"), { what: "sleep interrupted" });
    expect(finished.command).toMatchObject({ command: "sleep 30", exitCode: 130 });
    await agent.client.remove(bob, s.id);
  });

  it("aggregates a held key: one report a second per key and user, counts adding up", async () => {
    const s = await agent.client.newSession(alice, { name: "Held" }, { streamId: stream.id });
    const t0 = Date.now();
    for (let i = 0; i < 30; i++) {
      await agent.client.input(alice, s.id, "\x03");
      await sleep(20);
    }
    await agent.client.input(alice, s.id, "\x1a\x1c");
    await agent.client.input(alice, s.id, "\x1a");
    const elapsed = Date.now() - t0;
    // Every press is accounted for once the window after the last one closed.
    await sleep(1300);
    const reports = updates(s.instanceId).filter((e) => e.change === "input.control").map((e) => e.control!);
    const ctrlC = reports.filter((r) => r.key === "Ctrl-C");
    expect(ctrlC.reduce((n, r) => n + r.count, 0)).toBe(30);
    expect(ctrlC.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    expect(ctrlC[0]).toMatchObject({ count: 1, by: { id: alice.id }, command: null });
    expect(reports.filter((r) => r.key === "Ctrl-Z").reduce((n, r) => n + r.count, 0)).toBe(2);
    expect(reports.filter((r) => r.key === "Ctrl-\\").reduce((n, r) => n + r.count, 0)).toBe(1);
    await agent.client.remove(alice, s.id);
  });
});
