import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alice, sha256, sleep, startAgent, until, waitForCommand, withoutPrompts, type RunningAgent, commandOutput } from "./helpers";

const BUFFER = 64 * 1024;
let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({
    name: "Buf1",
    configurations: [
      { name: "SmallBlock", outputBufferingMode: "Block", outputBufferSizeBytes: BUFFER },
      { name: "SmallDrop", outputBufferingMode: "Drop", outputBufferSizeBytes: BUFFER },
    ],
  });
});
afterAll(async () => {
  await agent?.stop();
});

/** What `report` prints through the terminal: every line ends with CR LF (the PTY's onlcr). */
function expectedReport(lines: number): Buffer {
  let s = "";
  for (let i = 1; i <= lines; i++) s += `line ${i} of the report written while nobody was connected\r\n`;
  return Buffer.from(s);
}
const fastReport = (lines: number) => `for ((i=1;i<=${lines};i++)); do echo "line $i of the report written while nobody was connected"; done`;

describe("Block mode", () => {
  it("delivers the complete output of a command that kept printing while disconnected (sha256)", async () => {
    const lines = 12_000;
    const expected = expectedReport(lines);
    expect(expected.length).toBeGreaterThan(8 * BUFFER);
    const s = await agent.client.newSession(alice, { name: "BlockSha", configurationName: "SmallBlock" });
    const { commandId } = await agent.client.run(alice, s.id, { command: fastReport(lines), inDisconnectedSession: true });

    const parts: Buffer[] = [];
    let nextOffset = 0;
    let receives = 0;
    let sawBlocked = false;
    for (;;) {
      await sleep(150);
      const before = await agent.client.getSession(alice, s.id);
      sawBlocked ||= before.outputBlocked;
      const r = await agent.client.receive(alice, s.id);
      receives++;
      expect(r.offset).toBe(nextOffset);
      expect(r.droppedBytes).toBe(0);
      parts.push(r.output);
      nextOffset = r.offset + r.outputBytes;
      if (r.session.lastCommand?.id === commandId && r.session.bufferedBytes === 0 && r.outputBytes === 0) break;
      // Go away again so the rest is produced while disconnected, too.
      if (r.session.command) await agent.client.disconnect(alice, s.id);
      expect(receives).toBeLessThan(200);
    }
    // Every byte the shell produced, in order (its prompts aside: before and after the command).
    const all = Buffer.concat(parts);
    expect(all.length).toBe(nextOffset);
    const report = Buffer.from(commandOutput(all.toString("utf8"), fastReport(lines)));
    expect(report.length).toBe(expected.length);
    expect(sha256(report)).toBe(sha256(expected));
    expect(sawBlocked).toBe(true);
    expect(receives).toBeGreaterThan(2);
    await agent.client.remove(alice, s.id);
  }, 60_000);

  it("really holds the command back while the buffer is full and lets it go on Receive", async () => {
    const progress = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "baton-block-")), "progress");
    const s = await agent.client.newSession(alice, { name: "BlockPause", configurationName: "SmallBlock" });
    const line = "y".repeat(100);
    const { commandId } = await agent.client.run(alice, s.id, {
      // Append, never truncate: bash may flush the pending terminal line (and block there) after it
      // has opened the redirection target, so a truncated file could read empty while blocked.
      command: `for ((i=1;i<=20000;i++)); do echo "$i ${line}"; echo $i >> ${progress}; done`,
      inDisconnectedSession: true,
    });
    const blocked = await until(async () => {
      const v = await agent.client.getSession(alice, s.id);
      return v.outputBlocked ? v : null;
    }, { what: "buffer full" });
    expect(blocked.bufferedBytes).toBeGreaterThanOrEqual(BUFFER);
    expect(blocked.bufferedBytes).toBeLessThan(BUFFER + 64 * 1024);
    // After the agent stops reading, the kernel's PTY buffer and Node's socket buffer still take
    // some lines; then the loop stalls. Wait for the stall, then watch it hold.
    const progressNow = () => {
      const lines = fs.readFileSync(progress, "utf8").trim().split("\n");
      return Number(lines[lines.length - 1] || 0);
    };
    let last = -1;
    let stableSince = Date.now();
    await until(
      () => {
        const p = progressNow();
        if (p !== last) {
          last = p;
          stableSince = Date.now();
        }
        return Date.now() - stableSince > 300;
      },
      { timeoutMs: 15_000, what: "the loop to stall" },
    );
    const p1 = progressNow();
    await sleep(800);
    // The shell's loop made no progress for 800 ms: it is blocked writing to the terminal.
    expect(progressNow()).toBe(p1);
    expect(p1).toBeLessThan(20_000);
    // Bounded: what was produced fits the buffer plus kernel and socket buffers, not the whole output.
    const lineBytes = 107;
    expect(p1 * lineBytes).toBeLessThan(BUFFER + 512 * 1024);
    expect((await agent.client.getSession(alice, s.id)).command?.id).toBe(commandId);

    const t0 = Date.now();
    const r = await agent.client.receive(alice, s.id);
    expect(r.outputBytes).toBeGreaterThanOrEqual(BUFFER);
    await until(() => progressNow() > p1, { timeoutMs: 2000, what: "progress after receive" });
    expect(Date.now() - t0).toBeLessThan(2000);
    await agent.client.remove(alice, s.id);
  }, 30_000);
});

describe("Drop mode", () => {
  it("keeps the newest output and counts the rest: received + dropped = produced", async () => {
    const lines = 8000;
    const expected = expectedReport(lines);
    const s = await agent.client.newSession(alice, { name: "DropCount", configurationName: "SmallDrop" });
    const { commandId } = await agent.client.run(alice, s.id, { command: fastReport(lines), inDisconnectedSession: true });
    // The command is never held back in Drop mode: it finishes while still disconnected.
    const done = await waitForCommand(agent, alice, s.id, commandId, 30_000);
    expect(done.state).toBe("Disconnected");
    expect(done.outputBlocked).toBe(false);
    expect(done.bufferedBytes).toBe(BUFFER);
    const r = await agent.client.receive(alice, s.id);
    // Received + dropped = produced (the report and the prompts before and after it).
    expect(r.outputBytes + r.droppedBytes).toBe(r.session.outputOffset);
    expect(r.outputBytes).toBe(BUFFER);
    const prompts = r.session.outputOffset - expected.length;
    expect(prompts).toBeGreaterThan(0);
    expect(prompts).toBeLessThan(200);
    // The newest BUFFER bytes: the report's tail, then the prompt that followed it.
    const tail = withoutPrompts(r.output.toString("utf8"));
    expect(expected.toString("utf8").endsWith(tail)).toBe(true);
    expect(tail.length).toBeGreaterThan(BUFFER - prompts);
    expect(r.offset).toBe(r.droppedBytes);
    expect(r.session.totalDroppedBytes).toBe(r.droppedBytes);
    expect(r.session.droppedBytes).toBe(0);
    await agent.client.remove(alice, s.id);
  }, 40_000);
});

describe("a client that stops reading", () => {
  it("gets every frame that queued in the agent meanwhile exactly as it was built (frame buffers are reused only once written)", async () => {
    const stream = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Backlog" }, { streamId: stream.id });
    const frames: Buffer[] = [];
    let next = -1;
    let gap = "";
    stream.on("output", (f) => {
      if (f.instanceId !== s.instanceId) return;
      if (next >= 0 && f.offset !== next && !gap) gap = `frame at ${f.offset}, expected ${next}`;
      next = f.offset + f.data.length;
      frames.push(Buffer.from(f.data));
    });
    const socket = (stream.ws as unknown as { _socket: import("node:net").Socket })._socket;
    socket.pause();
    // About 12 MB: more than the kernel's socket buffers hold while the client reads nothing, so
    // frames queue in the agent until it holds the shell (more than 512 KiB in flight).
    const lines = 1_500_000;
    const command = `seq 1 ${lines}`;
    const { commandId } = await agent.client.run(alice, s.id, { command });
    let last = -1;
    await until(
      async () => {
        const offset = (await agent.client.getSession(alice, s.id)).outputOffset;
        const held = offset === last && offset > 1_000_000;
        last = offset;
        return held;
      },
      { intervalMs: 250, timeoutMs: 30_000, what: "the shell held back by the client's backlog" },
    );
    expect((await agent.client.getSession(alice, s.id)).lastCommand?.id).not.toBe(commandId);
    socket.resume();
    await waitForCommand(agent, alice, s.id, commandId, 60_000);
    const total = (await agent.client.getSession(alice, s.id)).outputOffset;
    await until(() => next === total, { timeoutMs: 30_000, what: "every byte" });
    expect(gap).toBe("");
    const text = Buffer.concat(frames).toString("latin1");
    const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\r\n`).join("");
    const at = text.indexOf(`\r\n1\r\n2\r\n`) + 2;
    expect(at).toBeGreaterThan(1);
    expect(sha256(Buffer.from(text.slice(at, at + expected.length), "latin1"))).toBe(sha256(Buffer.from(expected, "latin1")));
    await agent.client.remove(alice, s.id);
    await stream.close();
  }, 90_000);
});
