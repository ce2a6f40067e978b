import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStream } from "../../fleet/agent-client";
import type { TOutputFrame } from "../../protocol";
import { alice, bob, startAgent, until, waitForCommand, type RunningAgent, withoutPrompts } from "./helpers";

// Output continuity: a session's output is one byte stream by offset. The agent retains a window
// of it for replay, and keeps the holder's cursor: what a terminal acked or a Receive returned.

const SMALL = 16 * 1024;
let agent: RunningAgent;
const helpdesk = { id: "u-hana", name: "Hana Helpdesk", roles: ["helpdesk"] };
const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };

beforeAll(async () => {
  agent = await startAgent({
    name: "Replay1",
    configurations: [
      { name: "Microsoft.PowerShell" },
      { name: "SmallDrop", outputBufferingMode: "Drop", outputBufferSizeBytes: SMALL, outputRetainBytes: SMALL },
      { name: "SmallBlock", outputBufferingMode: "Block", outputBufferSizeBytes: SMALL, outputRetainBytes: 4 * SMALL },
      { name: "ShortWindow", outputBufferingMode: "Block", outputBufferSizeBytes: SMALL, outputRetainBytes: SMALL },
    ],
  });
});
afterAll(async () => {
  await agent?.stop();
});

function collect(stream: AgentStream, instanceId: string) {
  const frames: TOutputFrame[] = [];
  stream.on("output", (f) => f.instanceId === instanceId && frames.push(f));
  return { frames, bytes: () => Buffer.concat(frames.map((f) => f.data)) };
}

/** `n` numbered lines "<tag> 1" … "<tag> n". */
const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}\r\n`).join("");

describe("replay by offset", () => {
  it("replays the retained output from any offset, byte-exact with what went out live", async () => {
    const stream = await agent.client.openStream({ acks: true });
    const s = await agent.client.newSession(alice, { name: "Replay" }, { streamId: stream.id });
    const live = collect(stream, s.instanceId);
    const { commandId } = await agent.client.run(alice, s.id, { command: "for i in $(seq 1 50); do echo line $i; done" });
    await waitForCommand(agent, alice, s.id, commandId);
    const whole = await agent.client.readOutput(alice, s.id, 0);
    // Live frames from where this test started listening (the first prompt went out before).
    await until(() => live.frames.length > 0 && live.frames[0].offset + live.bytes().length >= whole.end, { what: "live frames" });
    expect(whole).toMatchObject({ offset: 0, expiredBytes: 0, droppedBytes: 0 });
    const from0 = live.frames[0].offset;
    expect(whole.output.subarray(from0).equals(live.bytes().subarray(0, whole.end - from0))).toBe(true);
    expect(whole.output.toString()).toContain(lines("line", 50));
    const from = 123;
    const tail = await agent.client.readOutput(alice, s.id, from, 40);
    expect(tail.offset).toBe(from);
    expect(tail.output.equals(whole.output.subarray(from, from + 40))).toBe(true);
    // Nothing was acked through this stream: Receive hands the holder all of it, same offsets.
    const r = await agent.client.receive(alice, s.id, { streamId: stream.id });
    expect(r.offset).toBe(0);
    expect(r.output.equals(whole.output)).toBe(true);
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("Receive returns only what the holder's terminal has not acked", async () => {
    const stream = await agent.client.openStream({ acks: true });
    const s = await agent.client.newSession(alice, { name: "Acked" }, { streamId: stream.id });
    const { commandId } = await agent.client.run(alice, s.id, { command: "seq 1 300" });
    await waitForCommand(agent, alice, s.id, commandId);
    const all = await agent.client.readOutput(alice, s.id, 0);
    const shown = all.output.indexOf("200\r\n") + 5;
    expect(await agent.client.ack(alice, s.id, shown)).toEqual({ seenOffset: shown, outputOffset: all.end });
    // An ack never moves the cursor back, and a stale one is harmless.
    expect((await agent.client.ack(alice, s.id, 3)).seenOffset).toBe(shown);
    const r = await agent.client.receive(alice, s.id, { streamId: stream.id });
    expect(r.offset).toBe(shown);
    expect(r.output.toString()).toBe(all.output.subarray(shown).toString());
    expect(r.output.toString().startsWith("201\r\n")).toBe(true);
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("Connect through an acking stream leaves the output buffered while away for the terminal to replay", async () => {
    const stream = await agent.client.openStream({ acks: true });
    const s = await agent.client.newSession(alice, { name: "Away" }, { streamId: stream.id });
    const { commandId } = await agent.client.run(alice, s.id, {
      command: "for i in $(seq 1 40); do echo tick $i; sleep 0.01; done",
      inDisconnectedSession: true,
    });
    await waitForCommand(agent, alice, s.id, commandId);
    const before = await agent.client.getSession(alice, s.id);
    expect(before.bufferedBytes).toBeGreaterThan(0);
    const live = collect(stream, s.instanceId);
    const connected = await agent.client.connect(alice, s.id, { streamId: stream.id });
    expect(connected.bufferedBytes).toBe(before.bufferedBytes);
    // The terminal replays from the holder's cursor: every tick, once, in order.
    const replay = await agent.client.readOutput(alice, s.id, connected.seenOffset ?? 0);
    expect(replay.output.toString()).toContain(lines("tick", 40));
    expect(live.frames.length).toBe(0);
    await agent.client.ack(alice, s.id, replay.end);
    const r = await agent.client.receive(alice, s.id, { streamId: stream.id });
    expect(r.outputBytes).toBe(0);
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("reports a Drop-mode gap exactly: the bytes dropped, nothing merely expired, and Receive agrees", async () => {
    const s = await agent.client.newSession(alice, { name: "Dropper", configurationName: "SmallDrop" });
    const { commandId } = await agent.client.run(alice, s.id, { command: "seq 1 20000", inDisconnectedSession: true });
    await waitForCommand(agent, alice, s.id, commandId);
    const snap = await agent.client.getSession(alice, s.id);
    const expected = Buffer.from(lines("", 20000).replace(/^ /gm, ""));
    expect(snap.outputOffset).toBeGreaterThanOrEqual(expected.length);
    const replay = await agent.client.readOutput(helpdesk, s.id, 0);
    expect(replay.droppedBytes).toBe(snap.totalDroppedBytes);
    expect(replay.offset).toBe(replay.droppedBytes);
    expect(replay.expiredBytes).toBe(0);
    expect(replay.outputBytes).toBeLessThanOrEqual(SMALL);
    const r = await agent.client.receive(alice, s.id);
    expect(r.droppedBytes).toBe(replay.droppedBytes);
    expect(r.offset).toBe(replay.offset);
    expect(r.output.equals(replay.output)).toBe(true);
    expect(withoutPrompts(r.output.toString()).endsWith("20000\r\n")).toBe(true);
    await agent.client.remove(alice, s.id);
  });

  it("Block mode still stops the shell when nobody reads, attached through an acking stream, and acks let it go on", async () => {
    const stream = await agent.client.openStream({ acks: true });
    const s = await agent.client.newSession(alice, { name: "Holder", configurationName: "SmallBlock" }, { streamId: stream.id });
    const file = `/tmp/baton-replay-${s.instanceId}`;
    await agent.client.run(alice, s.id, { command: `for i in $(seq 1 1500); do printf '%s %0100d\\n' $i 0; echo $i > ${file}; done; echo done` });
    const held = await until(async () => {
      const v = await agent.client.getSession(alice, s.id);
      return v.outputBlocked ? v : null;
    }, { what: "output blocked" });
    expect(held.bufferedBytes).toBeGreaterThanOrEqual(SMALL);
    const fs = await import("node:fs");
    const progress = () => Number(fs.readFileSync(file, "utf8").trim() || 0);
    // The kernel's PTY buffer takes a little more; then the command really stands still.
    let last = -1;
    const p1 = await until(async () => {
      await new Promise((r) => setTimeout(r, 300));
      const now = progress();
      const still = now === last;
      last = now;
      return still ? now : null;
    }, { what: "the command to stand still" });
    await new Promise((r) => setTimeout(r, 400));
    expect(progress()).toBe(p1);
    expect(p1).toBeLessThan(1500);
    // A terminal that keeps acking everything lets the command run to the end.
    const acker = setInterval(() => {
      void agent.client.getSession(alice, s.id).then((v) => agent.client.ack(alice, s.id, v.outputOffset)).catch(() => {});
    }, 20);
    try {
      await until(async () => (await agent.client.getSession(alice, s.id)).lastCommand !== null, { timeoutMs: 30_000, what: "command finished" });
    } finally {
      clearInterval(acker);
    }
    expect(progress()).toBe(1500);
    await agent.client.remove(alice, s.id);
    fs.rmSync(file, { force: true });
    await stream.close();
  });

  it("retains a bounded window and tells a late reader how much expired", async () => {
    const stream = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Window", configurationName: "ShortWindow" }, { streamId: stream.id });
    const { commandId } = await agent.client.run(alice, s.id, { command: "seq 1 50000" });
    await waitForCommand(agent, alice, s.id, commandId);
    const r = await agent.client.readOutput(alice, s.id, 0);
    expect(r.end).toBeGreaterThan(200_000);
    expect(r.retainedFromOffset).toBe(r.offset);
    expect(r.outputBytes).toBeLessThanOrEqual(SMALL + 64 * 1024);
    expect(r.expiredBytes).toBe(r.offset);
    expect(r.droppedBytes).toBe(0);
    expect(r.output.toString()).toContain("50000\r\n");
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("asks a full-screen program, not the idle shell, to draw its screen again", async () => {
    const stream = await agent.client.openStream({ acks: true });
    const s = await agent.client.newSession(alice, { name: "Fullscreen", cols: 80, rows: 24 }, { streamId: stream.id });
    expect(await agent.client.redraw(alice, s.id)).toBe(false);
    const live = collect(stream, s.instanceId);
    await agent.client.input(alice, s.id, "less /etc/services\r");
    await until(() => live.bytes().includes("Network services"), { what: "less drew its screen" });
    const drawn = live.bytes().length;
    await until(async () => agent.client.redraw(helpdesk, s.id), { what: "less in the foreground" });
    await until(() => live.bytes().subarray(drawn).includes("Network services"), { what: "less drew it again" });
    await agent.client.input(alice, s.id, "q");
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("lets the holder, managers and help desk read; refuses others and malformed offsets, changing nothing", async () => {
    const s = await agent.client.newSession(alice, { name: "Private" });
    await expect(agent.client.readOutput(carol, s.id, 0)).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    await expect(agent.client.ack(bob, s.id, 0)).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect((await agent.client.readOutput(bob, s.id, 0)).offset).toBe(0);
    for (const q of ["from=-1", "from=0x10", "from=1e3", "from=", "from=1&from=2", "max=5", "from=0&max=0", "from=0&junk=1"]) {
      const res = await agent.client.raw("GET", `/v1/sessions/${s.id}/output?${q}`, { as: alice });
      expect(res.status, q).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    }
    for (const body of ['{"offset":"10"}', '{"offset":[10]}', '{"offset":-1}', '{"offset":1.5}', "{}"]) {
      const res = await agent.client.raw("POST", `/v1/sessions/${s.id}/ack`, { as: alice, body });
      expect(res.status, body).toBe(400);
    }
    expect((await agent.client.getSession(alice, s.id)).seenOffset).toBe(0);
    await agent.client.remove(alice, s.id);
  });
});
