import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentRequestError } from "../../fleet/agent-client";
import { alice, bob, runAndCollect, startAgent, until, waitForCommand, type RunningAgent, commandOutput } from "./helpers";

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({ name: "Srv1" });
});
afterAll(async () => {
  await agent?.stop();
});

async function refused(p: Promise<unknown>): Promise<AgentRequestError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentRequestError);
  return err as AgentRequestError;
}

describe("new, get and list", () => {
  it("creates Opened sessions and filters by wildcard name, id, instance id and state", async () => {
    const a = await agent.client.newSession(alice, { name: "ITTask" });
    const b = await agent.client.newSession(alice, { name: "ITAudit", outputBufferingMode: "Drop", idleTimeoutSec: 600 });
    const c = await agent.client.newSession(alice, { name: "Report" });
    expect(a).toMatchObject({
      name: "ITTask",
      state: "Opened",
      viewState: "Opened",
      availability: "Available",
      configurationName: "Microsoft.PowerShell",
      computerName: "Srv1",
      owner: { id: alice.id, name: alice.name },
      holder: { id: alice.id, name: alice.name },
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block",
      bufferSizeBytes: 1024 * 1024,
    });
    // Created without a stream: its first prompt waits, unseen, in the output buffer.
    expect(a.bufferedBytes).toBe(a.outputOffset);
    expect(b).toMatchObject({ idleTimeoutSec: 600, outputBufferingMode: "Drop" });

    const names = async (filter: Parameters<typeof agent.client.listSessions>[1]) =>
      (await agent.client.listSessions(alice, filter)).map((s) => s.name).sort();
    expect(await names({ name: "IT*" })).toEqual(["ITAudit", "ITTask"]);
    expect(await names({ name: "it?ask" })).toEqual(["ITTask"]);
    expect(await names({ name: "*port" })).toEqual(["Report"]);
    expect(await names({ id: c.id })).toEqual(["Report"]);
    expect(await names({ instanceId: b.instanceId })).toEqual(["ITAudit"]);

    await agent.client.disconnect(alice, c.id);
    expect(await names({ name: "IT*", state: "Opened" })).toEqual(["ITAudit", "ITTask"]);
    expect(await names({ state: "Disconnected" })).toContain("Report");

    expect((await agent.client.getSession(alice, a.instanceId)).id).toBe(a.id);
    expect((await agent.client.getSession(alice, a.id)).instanceId).toBe(a.instanceId);
    for (const s of [a, b, c]) await agent.client.remove(alice, s.id);
  });
});

describe("run", () => {
  it("keeps shell state between commands, reports exit codes and hides the sentinel", async () => {
    const s = await agent.client.newSession(alice, { name: "State" });
    const first = await runAndCollect(agent, alice, s.id, "cd /tmp && BATON_T=42 && export ANSWER=$((6*7)); echo start");
    expect(first).toEqual({ output: "start\r\n", exitCode: 0 });
    const second = await runAndCollect(agent, alice, s.id, 'echo "$BATON_T $ANSWER $(pwd)"; (exit 7)');
    expect(second).toEqual({ output: "42 42 /tmp\r\n", exitCode: 7 });
    expect((await agent.client.getSession(alice, s.id)).cwd).toBe("/tmp");
    // Quotes, backslashes, newlines and non-ASCII survive the trip into the shell unchanged.
    const tricky = await runAndCollect(agent, alice, s.id, "printf '%s|' 'it''s' \"a\\\\b\" 'é'\necho\necho \"$1-$#\"");
    expect(tricky.output).toBe("its|a\\b|é|\r\n-0\r\n");
    expect(tricky.output).not.toMatch(/\x1b\]777|__baton/);
    await agent.client.remove(alice, s.id);
  });

  it("refuses a second command while one runs, and shows Busy to its holder", async () => {
    const s = await agent.client.newSession(alice, { name: "Busy" });
    const { commandId } = await agent.client.run(alice, s.id, { command: "sleep 1; echo slept" });
    const during = await agent.client.getSession(alice, s.id);
    expect(during.availability).toBe("Busy");
    expect(during.command).toMatchObject({ id: commandId, command: "sleep 1; echo slept" });
    const err = await refused(agent.client.run(alice, s.id, { command: "echo no" }));
    expect(err).toMatchObject({ status: 409, code: "COMMAND_RUNNING" });
    const done = await waitForCommand(agent, alice, s.id, commandId);
    expect(done.availability).toBe("Available");
    expect(done.lastCommand).toMatchObject({ id: commandId, exitCode: 0 });
    await agent.client.remove(alice, s.id);
  });

  it("InDisconnectedSession starts the command and disconnects at once", async () => {
    const s = await agent.client.newSession(alice, { name: "Fire" });
    const r = await agent.client.run(alice, s.id, {
      command: "sleep 0.3; echo finished-while-away",
      inDisconnectedSession: true,
      idleTimeoutSec: 900,
      outputBufferingMode: "Drop",
    });
    expect(r.session).toMatchObject({ state: "Disconnected", availability: "None", holder: null, idleTimeoutSec: 900, outputBufferingMode: "Drop" });
    expect(r.session.command?.id).toBe(r.commandId);
    const done = await waitForCommand(agent, alice, s.id, r.commandId);
    expect(done.state).toBe("Disconnected");
    const got = await agent.client.receive(alice, s.id);
    expect(commandOutput(got.output.toString(), "sleep 0.3; echo finished-while-away")).toBe("finished-while-away\r\n");
    expect(got.session).toMatchObject({ state: "Opened", availability: "Available" });
    await agent.client.remove(alice, s.id);
  });
});

describe("interactive input and resize", () => {
  it("passes raw keystrokes to the shell and resizes the terminal", async () => {
    const s = await agent.client.newSession(alice, { name: "Term", cols: 80, rows: 24 });
    await agent.client.resize(alice, s.id, { cols: 132, rows: 43 });
    const size = await runAndCollect(agent, alice, s.id, "stty size");
    // readline may redraw its (empty) line on SIGWINCH before the command's own output.
    expect(size.output).toMatch(/(^|\r)43 132\r\n$/);
    await agent.client.input(alice, s.id, "echo typed-$((6*7))\r");
    const got = await until(async () => {
      const r = await agent.client.receive(alice, s.id);
      return r.output.length ? r.output.toString() : null;
    });
    let all = got;
    await until(async () => {
      all += (await agent.client.receive(alice, s.id)).output.toString();
      return all.includes("typed-42\r\n");
    });
    // The typed line is echoed like in any terminal, followed by the command's output.
    expect(all).toContain("echo typed-$((6*7))");
    const after = await agent.client.getSession(alice, s.id);
    // Reported like a run command, with the line bash read and who typed it (attribution.test.ts).
    expect(after.lastCommand).toMatchObject({ command: "echo typed-$((6*7))", source: "terminal", typedBy: { id: alice.id }, exitCode: 0 });
    await agent.client.remove(alice, s.id);
  });
});

describe("disconnect, connect, receive, remove: every transition", () => {
  it("follows PowerShell's rules for the holder and for other users", async () => {
    const s = await agent.client.newSession(alice, { name: "Handoff" });
    // Attached to alice: bob sees it Disconnected and Busy and can do nothing with it.
    expect(await agent.client.getSession(bob, s.id)).toMatchObject({ state: "Opened", viewState: "Disconnected", availability: "Busy" });
    expect(await refused(agent.client.disconnect(bob, s.id))).toMatchObject({ code: "ATTACHED_TO_OTHER", status: 409 });
    expect(await refused(agent.client.connect(bob, s.id))).toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect(await refused(agent.client.receive(bob, s.id))).toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect(await refused(agent.client.run(bob, s.id, { command: "id" }))).toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect(await refused(agent.client.input(bob, s.id, "x"))).toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect(await refused(agent.client.remove(bob, s.id))).toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect((await agent.client.getSession(alice, s.id)).state).toBe("Opened");

    // Connect to an Opened session of your own: no-op.
    expect(await agent.client.connect(alice, s.id)).toMatchObject({ state: "Opened", availability: "Available" });

    const d = await agent.client.disconnect(alice, s.id, { idleTimeoutSec: 3600, outputBufferingMode: "Drop" });
    expect(d).toMatchObject({ state: "Disconnected", viewState: "Disconnected", availability: "None", holder: null, idleTimeoutSec: 3600, outputBufferingMode: "Drop" });
    expect(Date.parse(d.expiresOn!) - Date.parse(d.disconnectedOn!)).toBe(3600_000);
    expect(await agent.client.getSession(bob, s.id)).toMatchObject({ viewState: "Disconnected", availability: "None" });

    // Disconnecting a disconnected session: no-op, nothing changes.
    const again = await agent.client.disconnect(alice, s.id, { idleTimeoutSec: 120 });
    expect(again).toMatchObject({ state: "Disconnected", idleTimeoutSec: 3600, disconnectedOn: d.disconnectedOn });
    // Run needs a connection.
    expect(await refused(agent.client.run(alice, s.id, { command: "id" }))).toMatchObject({ code: "INVALID_STATE" });

    // The manager connects (a handoff); now alice is the one who sees Disconnected/Busy.
    const c = await agent.client.connect(bob, s.id);
    expect(c).toMatchObject({ state: "Opened", availability: "Available", holder: { id: bob.id }, owner: { id: alice.id }, disconnectedOn: null, expiresOn: null });
    expect(await agent.client.getSession(alice, s.id)).toMatchObject({ viewState: "Disconnected", availability: "Busy" });
    expect((await runAndCollect(agent, bob, s.id, "echo by-bob")).output).toBe("by-bob\r\n");

    // Receive on a disconnected session connects it.
    await agent.client.disconnect(bob, s.id);
    const r = await agent.client.receive(alice, s.id);
    expect(r.session).toMatchObject({ state: "Opened", holder: { id: alice.id }, availability: "Available" });

    // A manager may end a session attached to someone else only with force.
    const removed = await agent.client.remove(bob, s.id, { force: true });
    expect(removed).toMatchObject({ state: "Closed", availability: "None", reason: `removed by ${bob.name}` });
    expect(await refused(agent.client.connect(alice, s.id))).toMatchObject({ code: "INVALID_STATE", status: 409 });
    expect(await refused(agent.client.disconnect(alice, s.id))).toMatchObject({ code: "INVALID_STATE" });
    expect(await refused(agent.client.run(alice, s.id, { command: "id" }))).toMatchObject({ code: "INVALID_STATE" });
    // Removing a closed session again is harmless.
    expect((await agent.client.remove(alice, s.id)).state).toBe("Closed");
  });

  it("marks a session Broken when its shell dies, and refuses connect and disconnect", async () => {
    const s = await agent.client.newSession(alice, { name: "Dies" });
    await agent.client.run(alice, s.id, { command: "exit 3" });
    const broken = await until(async () => {
      const v = await agent.client.getSession(alice, s.id);
      return v.state === "Broken" ? v : null;
    });
    expect(broken.reason).toContain("exit code 3");
    expect(broken.availability).toBe("None");
    const e1 = await refused(agent.client.disconnect(alice, s.id));
    expect(e1).toMatchObject({ code: "INVALID_STATE" });
    expect(e1.message).toContain("Broken");
    expect(await refused(agent.client.connect(alice, s.id))).toMatchObject({ code: "INVALID_STATE" });
    expect((await agent.client.remove(alice, s.id)).state).toBe("Broken");
  });
});

describe("takeover", () => {
  it("lets a manager connect with force to a session attached to someone else; others are refused and nothing changes", async () => {
    const s = await agent.client.newSession(alice, { name: "TakeMe" });
    const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };
    expect(await refused(agent.client.connect(carol, s.id, { force: true }))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect(await agent.client.getSession(alice, s.id)).toMatchObject({ state: "Opened", holder: { id: alice.id }, availability: "Available" });
    const taken = await agent.client.connect(bob, s.id, { force: true });
    expect(taken).toMatchObject({ state: "Opened", holder: { id: bob.id }, owner: { id: alice.id }, availability: "Available" });
    expect(await agent.client.getSession(alice, s.id)).toMatchObject({ viewState: "Disconnected", availability: "Busy" });
    expect((await runAndCollect(agent, bob, s.id, "echo mine-now")).output).toBe("mine-now\r\n");
    await agent.client.remove(bob, s.id);
  });
});
