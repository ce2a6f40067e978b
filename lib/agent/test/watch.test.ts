import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStream } from "../../fleet/agent-client";
import type { TOutputFrame } from "../../protocol";
import { alice, bob, startAgent, until, waitForCommand, type RunningAgent } from "./helpers";

// Watching: a stream subscribes to a session's output read-only. It gets every live frame
// whether the session is attached (through another stream) or disconnected, and the session
// does not notice: state, holder, the holder's cursor, the idle clock and the shell's pace stay
// as they were.
let agent: RunningAgent;
const hana = { id: "u-hana", name: "Hana Helpdesk", roles: ["helpdesk"] };
const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };
const streams: AgentStream[] = [];

beforeAll(async () => {
  // A long heartbeat: one test pauses a stream's socket for longer than the default 10 s.
  agent = await startAgent({ name: "Watch1", args: ["--heartbeat-ms", "120000"] });
});
afterAll(async () => {
  for (const s of streams) s.terminate();
  await agent?.stop();
});

async function open(acks = true): Promise<AgentStream> {
  const s = await agent.client.openStream({ acks });
  streams.push(s);
  return s;
}

function collect(stream: AgentStream, instanceId: string) {
  const frames: TOutputFrame[] = [];
  stream.on("output", (f) => f.instanceId === instanceId && frames.push(f));
  return { frames, text: () => Buffer.concat(frames.map((f) => f.data)).toString() };
}

/** What must not change when someone watches. */
const untouched = (v: Awaited<ReturnType<RunningAgent["client"]["getSession"]>>) => ({
  state: v.state,
  holder: v.holder,
  disconnectedOn: v.disconnectedOn,
  expiresOn: v.expiresOn,
  idleTimeoutSec: v.idleTimeoutSec,
  outputBufferingMode: v.outputBufferingMode,
});

describe("watch", () => {
  it("sends an attached session's live output to a watching stream without touching the holder's cursor", async () => {
    const holderStream = await open();
    const watchStream = await open();
    const s = await agent.client.newSession(alice, { name: "Watched" }, { streamId: holderStream.id });
    const before = await agent.client.getSession(alice, s.id);
    const w = await agent.client.watch(hana, s.id, { streamId: watchStream.id });
    expect(w).toMatchObject({ watching: true, watchStreams: 1 });
    const watched = collect(watchStream, s.instanceId);
    const held = collect(holderStream, s.instanceId);

    const { commandId } = await agent.client.run(alice, s.id, { command: "echo watched-$((6*7))" });
    await waitForCommand(agent, alice, s.id, commandId);
    await until(() => watched.text().includes("watched-42"), { what: "watch frames" });
    await until(() => held.text().includes("watched-42"), { what: "holder frames" });
    // Same bytes at the same offsets on both streams.
    expect(watched.frames.map((f) => f.offset)).toEqual(held.frames.map((f) => f.offset));

    const after = await agent.client.getSession(alice, s.id);
    expect(untouched(after)).toEqual(untouched(before));
    // Nobody acked: everything since the start is still unseen by the holder; watching moved nothing.
    expect(after.seenOffset).toBe(before.seenOffset);

    // A watcher is not the holder: input, resize and ack are refused and change nothing.
    await expect(agent.client.input(hana, s.id, "touch /tmp/nope\r")).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.resize(hana, s.id, { cols: 50, rows: 10 })).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.ack(hana, s.id, after.outputOffset)).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    const still = await agent.client.getSession(alice, s.id);
    expect({ cols: still.cols, rows: still.rows, seenOffset: still.seenOffset }).toEqual({ cols: after.cols, rows: after.rows, seenOffset: after.seenOffset });

    // Unwatching stops the frames; the holder's keep coming.
    expect(await agent.client.unwatch(hana, s.id, { streamId: watchStream.id })).toMatchObject({ watching: false, watchStreams: 0 });
    const seen = watched.frames.length;
    const second = await agent.client.run(alice, s.id, { command: "echo after-unwatch" });
    await waitForCommand(agent, alice, s.id, second.commandId);
    await until(() => held.text().includes("after-unwatch"), { what: "holder frames after unwatch" });
    expect(watched.frames.length).toBe(seen);
    await agent.client.remove(alice, s.id);
  });

  it("sends a disconnected session's output to a watcher while the idle clock and buffer go on as before", async () => {
    const holderStream = await open();
    const watchStream = await open();
    const s = await agent.client.newSession(alice, { name: "Away" }, { streamId: holderStream.id });
    await agent.client.run(alice, s.id, { command: "sleep 1; echo while-away-$((2+3))", inDisconnectedSession: true });
    const before = await agent.client.getSession(alice, s.id);
    expect(before.state).toBe("Disconnected");
    await agent.client.watch(bob, s.id, { streamId: watchStream.id });
    const watched = collect(watchStream, s.instanceId);
    const held = collect(holderStream, s.instanceId);
    await until(() => watched.text().includes("while-away-5"), { what: "watch frames of a disconnected session" });
    const after = await agent.client.getSession(alice, s.id);
    expect(untouched(after)).toEqual(untouched(before));
    // The output still waits for its holder: a Receive returns it.
    expect(after.bufferedBytes).toBeGreaterThan(before.bufferedBytes);
    expect(held.frames).toHaveLength(0);
    const r = await agent.client.receive(alice, s.id, { streamId: holderStream.id });
    expect(r.output.toString()).toContain("while-away-5");
    await agent.client.remove(alice, s.id);
  });

  it("refuses users who may not watch, a missing or unknown stream, and ended sessions, changing nothing", async () => {
    const holderStream = await open();
    const watchStream = await open();
    const s = await agent.client.newSession(alice, { name: "Private" }, { streamId: holderStream.id });
    await expect(agent.client.watch(carol, s.id, { streamId: watchStream.id })).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    await expect(agent.client.raw("POST", `/v1/sessions/${s.id}/watch`, { as: hana, body: "{}" })).resolves.toMatchObject({
      status: 400,
      body: { error: { code: "VALIDATION_FAILED" } },
    });
    await expect(agent.client.watch(hana, s.id, { streamId: "no-such-stream" })).rejects.toMatchObject({ code: "STREAM_NOT_FOUND" });
    await expect(agent.client.raw("POST", `/v1/sessions/${s.id}/watch`, { as: hana, body: JSON.stringify({ force: true }), streamId: watchStream.id })).resolves.toMatchObject({
      status: 400,
    });
    const watched = collect(watchStream, s.instanceId);
    const { commandId } = await agent.client.run(alice, s.id, { command: "echo nobody-watching" });
    await waitForCommand(agent, alice, s.id, commandId);
    expect(watched.frames).toHaveLength(0);
    await agent.client.remove(alice, s.id);
    await expect(agent.client.watch(hana, s.id, { streamId: watchStream.id })).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("forgets a watching stream that closes", async () => {
    const holderStream = await open();
    const watchStream = await open();
    const s = await agent.client.newSession(alice, { name: "Gone" }, { streamId: holderStream.id });
    await agent.client.watch(hana, s.id, { streamId: watchStream.id });
    await watchStream.close();
    const other = await open();
    await until(async () => (await agent.client.watch(hana, s.id, { streamId: other.id })).watchStreams === 1, { what: "closed stream forgotten" });
    await agent.client.remove(alice, s.id);
  });

  it("drops frames to a watcher that stops reading instead of slowing the shell; the watcher resyncs by offset", async () => {
    // The holder's stream counts output as seen when sent (no acks), so only the stream pace matters.
    const holderStream = await open(false);
    const watchStream = await open();
    const s = await agent.client.newSession(alice, { name: "Flood" }, { streamId: holderStream.id });
    await agent.client.watch(hana, s.id, { streamId: watchStream.id });
    const watched = collect(watchStream, s.instanceId);
    let heldBytes = 0;
    holderStream.on("output", (f) => f.instanceId === s.instanceId && (heldBytes += f.data.length));
    // The watcher's browser (here: its whole stream) stops reading.
    const socket = (watchStream.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const total = 24 * 1024 * 1024;
    const { commandId } = await agent.client.run(alice, s.id, { command: `head -c ${total} /dev/zero | tr '\\0' 'x'; echo; echo flood-done` });
    const done = await waitForCommand(agent, alice, s.id, commandId, 60_000);
    expect(done.outputBlocked).toBe(false);
    await until(() => heldBytes >= total, { what: "holder got everything", timeoutMs: 20_000 });
    socket.resume();
    // What the kernel and the agent had queued arrives; then nothing more (frames were dropped).
    let count = -1;
    await until(
      async () => {
        const stable = count === watched.frames.length && count > 0;
        count = watched.frames.length;
        return stable;
      },
      { what: "watcher frames after resuming", timeoutMs: 20_000, intervalMs: 500 },
    );
    const received = watched.frames.reduce((n, f) => n + f.data.length, 0);
    expect(received).toBeLessThan(total);
    // The watcher missed bytes (a gap between two frames, or the tail) and reads them back by offset.
    const gapAt = watched.frames.findIndex((f, i) => i > 0 && f.offset > watched.frames[i - 1].offset + watched.frames[i - 1].data.length);
    const prev = watched.frames[gapAt > 0 ? gapAt - 1 : watched.frames.length - 1];
    const from = prev.offset + prev.data.length;
    // Bytes older than the retained window (1 MiB here) are reported as such, never silently skipped.
    const back = await agent.client.readOutput(hana, s.id, from, 1024);
    expect(back.offset - from).toBe(back.expiredBytes);
    expect(back.outputBytes).toBe(1024);
    const tail = await agent.client.readOutput(hana, s.id, done.outputOffset - 200);
    expect(tail.output.toString()).toContain("flood-done");
    await agent.client.remove(alice, s.id);
  }, 90_000);
});

describe("join", () => {
  it("lets a user the holder named type alongside them, each line attributed to its typist, until the holder ends it", async () => {
    const stream = await open();
    const events: import("../../protocol").TSessionUpdatedMessage[] = [];
    stream.on("message", (m) => m.type === "session.updated" && events.push(m));
    const s = await agent.client.newSession(alice, { name: "Joined" }, { streamId: stream.id });
    const typed = async (as: typeof alice, line: string) => {
      const before = events.length;
      await agent.client.input(as, s.id, `${line}\r`);
      const done = await until(() => events.slice(before).find((e) => e.session.instanceId === s.instanceId && e.change === "command.finished"), { what: line });
      return done.command!;
    };

    // Only the holder lets someone join; before that, the manager's keystrokes are refused.
    await expect(agent.client.input(bob, s.id, "echo too-early\r")).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.join(carol, s.id, { id: bob.id, name: bob.name })).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.join(alice, s.id, { id: alice.id, name: alice.name })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await agent.client.join(alice, s.id, { id: bob.id, name: bob.name })).toEqual({ joined: [{ id: bob.id, name: bob.name }] });

    expect(await typed(bob, "echo from-bob")).toMatchObject({ command: "echo from-bob", typedBy: { id: bob.id } });
    expect(await typed(alice, "echo from-alice")).toMatchObject({ command: "echo from-alice", typedBy: { id: alice.id } });
    // Someone else is still refused; a joined user does not become the holder, nor may resize or ack.
    await expect(agent.client.input(carol, s.id, "echo carol\r")).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.resize(bob, s.id, { cols: 40, rows: 10 })).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect((await agent.client.getSession(alice, s.id)).holder?.id).toBe(alice.id);

    // A joined user may not end someone else's join; the holder ends theirs.
    await expect(agent.client.leave(bob, s.id, carol.id)).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    expect(await agent.client.leave(alice, s.id, bob.id)).toEqual({ joined: [] });
    await expect(agent.client.input(bob, s.id, "echo after-leave\r")).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });

    // Disconnecting ends every join: a later holder starts with nobody joined.
    await agent.client.join(alice, s.id, { id: bob.id, name: bob.name });
    await agent.client.disconnect(alice, s.id);
    await agent.client.connect(alice, s.id, { streamId: stream.id });
    await expect(agent.client.input(bob, s.id, "echo after-reconnect\r")).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await agent.client.remove(alice, s.id);
  });
});
