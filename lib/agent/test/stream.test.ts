import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentClient, AgentRequestError, type AgentStream } from "../../fleet/agent-client";
import type { TOutputFrame, TStreamServerMessage } from "../../protocol";
import { alice, startAgent, until, waitForCommand, type RunningAgent, withoutPrompts, commandOutput } from "./helpers";

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({ name: "Str1", args: ["--heartbeat-ms", "300"] });
});
afterAll(async () => {
  await agent?.stop();
});

function collectOutput(stream: AgentStream, instanceId: string) {
  const frames: TOutputFrame[] = [];
  stream.on("output", (f) => {
    if (f.instanceId === instanceId) frames.push(f);
  });
  return {
    frames,
    text: () => Buffer.concat(frames.map((f) => f.data)).toString(),
    contiguousFrom: (start: number) => {
      let next = start;
      for (const f of frames) {
        if (f.offset !== next) return false;
        next += f.data.length;
      }
      return next;
    },
  };
}

function collectEvents(stream: AgentStream) {
  const events: TStreamServerMessage[] = [];
  stream.on("message", (m) => events.push(m));
  return events;
}

describe("stream", () => {
  it("authenticates, greets with the sessions, and carries live output and state events", async () => {
    const stream = await agent.client.openStream();
    expect(stream.id).toMatch(/^[0-9a-f-]{36}$/);
    const events = collectEvents(stream);
    const s = await agent.client.newSession(alice, { name: "Live" }, { streamId: stream.id });
    const out = collectOutput(stream, s.instanceId);
    const finishedEvent = stream.waitFor((m) => m.type === "session.updated" && m.change === "command.finished" && m.session.id === s.id);
    const { commandId } = await agent.client.run(alice, s.id, { command: "echo one; echo two" });
    const finished = await finishedEvent;
    expect(finished).toMatchObject({ command: { id: commandId, exitCode: 0 }, session: { state: "Opened", command: null } });
    // The command's lines, then the prompt that follows them.
    await until(() => commandOutput(out.text(), "echo one; echo two") === "one\r\ntwo\r\n" && /[$#] $/.test(out.text()), { what: "live output" });
    const end = out.contiguousFrom(out.frames[0].offset);
    expect(end).toBe((await agent.client.getSession(alice, s.id)).outputOffset);
    // Nothing was buffered: it all went out live.
    const r = await agent.client.receive(alice, s.id, { streamId: stream.id });
    expect(r.outputBytes).toBe(0);
    expect(r.offset).toBe(end);

    await agent.client.disconnect(alice, s.id);
    // A console that connects now learns every session from the hello.
    const second = await agent.client.openStream();
    expect(second.hello?.heartbeatMs).toBe(300);
    expect(second.hello?.agent.name).toBe("Str1");
    expect(second.hello?.sessions.find((x) => x.id === s.id)).toMatchObject({ state: "Disconnected", name: "Live" });
    await second.close();
    await agent.client.remove(alice, s.id);
    await until(() => events.some((e) => e.type === "session.updated" && e.change === "closed" && e.session.id === s.id));
    const changes = events.flatMap((e) => (e.type === "session.updated" && e.session.id === s.id ? [e.change] : []));
    expect(changes).toEqual(["created", "command.started", "command.finished", "received", "disconnected", "closed"]);
    const created = events.find((e) => e.type === "session.updated" && e.change === "created");
    expect(created && created.type === "session.updated" && created.session).toMatchObject({
      id: s.id,
      instanceId: s.instanceId,
      name: "Live",
      configurationName: "Microsoft.PowerShell",
      owner: { id: alice.id },
      holder: { id: alice.id },
      state: "Opened",
      idleTimeoutSec: 7200,
      outputBufferingMode: "Block",
      disconnectedOn: null,
      expiresOn: null,
      bufferedBytes: 0,
      droppedBytes: 0,
      command: null,
    });

    await stream.close();
  });

  it("a console stream dropped mid-command leaves the session Disconnected with the command still running", async () => {
    const stream = await agent.client.openStream();
    const watcher = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Dropped" }, { streamId: stream.id });
    const out = collectOutput(stream, s.instanceId);
    const { commandId } = await agent.client.run(alice, s.id, { command: "for i in $(seq 1 15); do echo tick $i; sleep 0.1; done" });
    await until(() => out.text().includes("tick 2"), { what: "first ticks" });
    const disconnected = watcher.waitFor((m) => m.type === "session.updated" && m.change === "disconnected" && m.session.id === s.id);
    stream.terminate(); // no close handshake: the console process died

    const ev = await disconnected;
    expect(ev.type === "session.updated" && ev.reason).toMatch(/stream lost/);
    const during = await agent.client.getSession(alice, s.id);
    expect(during).toMatchObject({ state: "Disconnected", availability: "None", holder: null });
    expect(during.command?.id).toBe(commandId);
    expect(during.expiresOn).not.toBeNull();

    // The console comes back: a new stream, the session in hello, then Receive picks up the rest.
    const back = await agent.client.openStream();
    const done = await waitForCommand(agent, alice, s.id, commandId);
    expect(done.state).toBe("Disconnected");
    const liveBytes = out.contiguousFrom(out.frames[0].offset);
    expect(liveBytes).not.toBe(false);
    const r = await agent.client.receive(alice, s.id, { streamId: back.id });
    expect(r.offset).toBe(liveBytes);
    const all = commandOutput(out.text() + r.output.toString(), "for i in $(seq 1 15); do echo tick $i; sleep 0.1; done");
    expect(all).toBe(Array.from({ length: 15 }, (_, i) => `tick ${i + 1}\r\n`).join(""));
    expect(r.session).toMatchObject({ state: "Opened", holder: { id: alice.id } });
    await agent.client.remove(alice, s.id);
    await back.close();
    await watcher.close();
  });

  it("a stream that stops answering heartbeats has its sessions disconnected, not killed", async () => {
    const silent = await agent.client.openStream({ autoPong: false });
    const s = await agent.client.newSession(alice, { name: "Silent" }, { streamId: silent.id });
    const { commandId } = await agent.client.run(alice, s.id, { command: "sleep 2; echo survived" });
    const v = await until(async () => {
      const x = await agent.client.getSession(alice, s.id);
      return x.state === "Disconnected" ? x : null;
    }, { timeoutMs: 3000, what: "heartbeat disconnect" });
    expect(v.command?.id).toBe(commandId);
    await waitForCommand(agent, alice, s.id, commandId);
    expect(commandOutput((await agent.client.receive(alice, s.id)).output.toString(), "sleep 2; echo survived")).toBe("survived\r\n");
    await agent.client.remove(alice, s.id);
  });

  it("connect through a new stream sends the buffered output first, in order", async () => {
    const s = await agent.client.newSession(alice, { name: "Flush" });
    const { commandId } = await agent.client.run(alice, s.id, { command: "echo early; sleep 0.3; echo late", inDisconnectedSession: true });
    await waitForCommand(agent, alice, s.id, commandId);
    const stream = await agent.client.openStream();
    const out = collectOutput(stream, s.instanceId);
    const c = await agent.client.connect(alice, s.id, { streamId: stream.id });
    expect(c.bufferedBytes).toBe(0);
    // Everything since the session began: its first prompt, the two lines, the prompt after them.
    await until(() => commandOutput(out.text(), "echo early; sleep 0.3; echo late") === "early\r\nlate\r\n" && /[$#] $/.test(out.text()));
    expect(out.contiguousFrom(0)).toBe(c.outputOffset);
    // Input typed afterwards comes back live on the same stream.
    await agent.client.input(alice, s.id, "echo again\r");
    await until(() => withoutPrompts(out.text()).endsWith("again\r\n"));
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("sends every event after the output that preceded it (a command's end after its last bytes)", async () => {
    const stream = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Order" }, { streamId: stream.id });
    // The first prompt may have arrived before this listener: count from the offset at creation.
    let received = s.outputOffset;
    stream.on("output", (f) => {
      if (f.instanceId === s.instanceId) received = Math.max(received, f.offset + f.data.length);
    });
    // Each finished event names the output offset when it was sent; that much must have arrived first.
    const late: string[] = [];
    stream.on("message", (m) => {
      if (m.type === "session.updated" && m.session.instanceId === s.instanceId && received < m.session.outputOffset) {
        late.push(`${m.change}: ${m.session.outputOffset - received} bytes still to come`);
      }
    });
    // The tail of each command's output (under 64 KiB) is still being coalesced when its end marker arrives.
    for (const bytes of [100_000, 150_000, 30_000, 200_000, 5_000]) {
      const { commandId } = await agent.client.run(alice, s.id, { command: `head -c ${bytes} /dev/zero | tr '\\0' 'o'` });
      await stream.waitFor((m) => m.type === "session.updated" && m.change === "command.finished" && m.command?.id === commandId, 30_000);
    }
    expect(late).toEqual([]);
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("keeps up with fast output and never loses or reorders bytes", async () => {
    const stream = await agent.client.openStream();
    const s = await agent.client.newSession(alice, { name: "Fast" }, { streamId: stream.id });
    const out = collectOutput(stream, s.instanceId);
    const { commandId } = await agent.client.run(alice, s.id, { command: "head -c 3000000 /dev/zero | tr '\\0' 'z'; echo" });
    await waitForCommand(agent, alice, s.id, commandId, 30_000);
    const total = (await agent.client.getSession(alice, s.id)).outputOffset;
    await until(() => out.frames.length > 0 && out.contiguousFrom(out.frames[0].offset) === total, { timeoutMs: 10_000, what: "all bytes" });
    expect(/^z{3000000}\r\n$/.test(commandOutput(out.text(), "head -c 3000000 /dev/zero | tr '\\0' 'z'; echo"))).toBe(true);
    await agent.client.remove(alice, s.id);
    await stream.close();
  });

  it("refuses a wrong token, an unknown stream id, malformed and oversized frames", async () => {
    const wrong = new AgentClient({ baseUrl: agent.baseUrl, token: "x".repeat(48) });
    const err = await wrong.openStream().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    wrong.close();

    const unknown = await agent.client.newSession(alice, { name: "Nope" }, { streamId: "00000000-0000-4000-8000-000000000000" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(AgentRequestError);
    expect(unknown).toMatchObject({ status: 404, code: "STREAM_NOT_FOUND" });
    expect(await agent.client.listSessions(alice, { name: "Nope" })).toHaveLength(0);

    const stream = await agent.client.openStream();
    const errorMsg = stream.waitFor((m) => m.type === "error");
    stream.ws.send("{not json");
    expect(await errorMsg).toMatchObject({ error: { code: "MALFORMED_JSON" } });
    const pong = stream.waitFor((m) => m.type === "pong");
    stream.ping();
    await pong;
    const closed = new Promise<number>((resolve) => stream.once("close", (code) => resolve(code)));
    stream.ws.send(Buffer.alloc(200 * 1024, 0x61).toString());
    expect(await closed).toBe(1009);
    expect(stream.ws.readyState).toBe(WebSocket.CLOSED);
    // The agent is fine afterwards.
    expect((await agent.client.health()).ok).toBe(true);
  });
});
