import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentClient, AgentRequestError, type AgentStream } from "../../fleet/agent-client";
import { alice, startAgent, until, type RunningAgent } from "./helpers";

// Token rotation without dropping sessions (docs/deploy.md): the token file gets the new token
// above the old one, SIGHUP, the console switches, the old line goes, SIGHUP. Requests follow the
// file; the stream opened under the old token and the session attached through it carry on.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-rotate-"));
const tokenFile = path.join(dir, "token");
const oldToken = "old-token-" + "a".repeat(30);
const newToken = "new-token-" + "b".repeat(30);
let agent: RunningAgent;
let oldClient: AgentClient;
let newClient: AgentClient;
let stream: AgentStream;

const refused = (p: Promise<unknown>) =>
  p.then(
    () => "accepted",
    (err) => (err instanceof AgentRequestError ? err.code : String(err)),
  );

async function rewrite(content: string, logLine: string): Promise<void> {
  const seen = agent.logs().split(logLine).length;
  fs.writeFileSync(tokenFile, content);
  agent.proc.kill("SIGHUP");
  await until(() => agent.logs().split(logLine).length > seen, { what: logLine });
}

beforeAll(async () => {
  fs.writeFileSync(tokenFile, `${oldToken}\n`, { mode: 0o600 });
  agent = await startAgent({ name: "Rot1", args: ["--token-file", tokenFile], env: { BATON_AGENT_TOKEN: "" } });
  oldClient = new AgentClient({ baseUrl: agent.baseUrl, token: oldToken });
  newClient = new AgentClient({ baseUrl: agent.baseUrl, token: newToken });
  stream = await oldClient.openStream();
});

afterAll(async () => {
  stream?.terminate();
  oldClient?.close();
  newClient?.close();
  await agent?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("agent token rotation", () => {
  it("accepts the new token beside the old one, then only the new one, while the open stream and its session carry on", async () => {
    const s = await oldClient.newSession(alice, { name: "Rotating" }, { streamId: stream.id });
    expect(s.state).toBe("Opened");
    expect(await refused(newClient.listConfigurations())).toBe("UNAUTHORIZED");

    await rewrite(`${newToken}\n${oldToken}\n`, "current and previous token accepted");
    expect(await refused(newClient.listConfigurations())).toBe("accepted");
    expect(await refused(oldClient.listConfigurations())).toBe("accepted");

    await rewrite(`${newToken}\n`, "one token accepted");
    expect(await refused(oldClient.listConfigurations())).toBe("UNAUTHORIZED");
    // A new stream needs the new token too.
    expect(await refused(oldClient.openStream())).toBe("UNAUTHORIZED");

    // The session is still attached through the stream opened under the old token, and its output still flows there.
    expect((await newClient.getSession(alice, s.id)).state).toBe("Opened");
    let seen = "";
    stream.on("output", (f) => (seen += f.data.toString("utf8")));
    await newClient.run(alice, s.id, { command: "echo still-$((40 + 2))-here" });
    await until(() => seen.includes("still-42-here"), { what: "output on the old stream" });
    expect(stream.ws.readyState).toBe(stream.ws.OPEN);
  });

  it("keeps the tokens it has when the rewritten file is unusable, and says why", async () => {
    await rewrite("short\n", "SIGHUP: token file not usable");
    expect(agent.logs()).toContain("the token on line 1 is shorter than 16 characters");
    expect(await refused(newClient.listConfigurations())).toBe("accepted");
    await rewrite(`${newToken}\n${oldToken}\n${"c".repeat(20)}\n`, "SIGHUP: token file not usable");
    expect(agent.logs()).toContain("holds 3 tokens; at most two");
    expect(await refused(oldClient.listConfigurations())).toBe("UNAUTHORIZED");
    // Neither token appears in the log.
    expect(agent.logs()).not.toContain(newToken);
    expect(agent.logs()).not.toContain(oldToken);
  });
});
