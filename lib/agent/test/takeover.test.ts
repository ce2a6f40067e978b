import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStream } from "../../fleet/agent-client";
import type { TStreamServerMessage } from "../../protocol";
import { alice, bob, startAgent, until, waitForCommand, type RunningAgent } from "./helpers";

// A manager's take-over of a session attached to someone else (connect with force).
let agent: RunningAgent;
let stream: AgentStream;
const carol = { id: "u-carol", name: "Carol Tech", roles: ["technician"] };

beforeAll(async () => {
  agent = await startAgent({ name: "Take1" });
  stream = await agent.client.openStream();
});
afterAll(async () => {
  await stream?.close();
  await agent?.stop();
});

describe("take-over", () => {
  it("is refused without force, refused for a technician, and done for a manager with the command still running", async () => {
    const events: TStreamServerMessage[] = [];
    stream.on("message", (m) => events.push(m));
    const s = await agent.client.newSession(alice, { name: "Busy" }, { streamId: stream.id });
    const { commandId } = await agent.client.run(alice, s.id, { command: "sleep 3; echo survived" });

    await expect(agent.client.connect(bob, s.id, { streamId: stream.id })).rejects.toMatchObject({ code: "ATTACHED_TO_OTHER" });
    await expect(agent.client.connect(carol, s.id, { streamId: stream.id, force: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await agent.client.getSession(alice, s.id)).holder?.id).toBe(alice.id);

    const taken = await agent.client.connect(bob, s.id, { streamId: stream.id, force: true });
    expect(taken).toMatchObject({ state: "Opened", holder: { id: bob.id }, availability: "Busy" });
    expect((await agent.client.getSession(alice, s.id)).viewState).toBe("Disconnected");
    await until(() => events.find((e) => e.type === "session.updated" && e.change === "disconnected" && e.reason?.includes("taken over by Bob Manager from Alice Tech")) ?? null, {
      what: "take-over event",
    });
    const done = await waitForCommand(agent, bob, s.id, commandId);
    expect(done.lastCommand?.exitCode).toBe(0);
  });
});
