import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { alice, isAlive, REPO_ROOT, runAndCollect, startAgent, until } from "./helpers";

const MAIN = path.join(REPO_ROOT, "lib/agent/main.ts");

function runAgentSync(args: string[], env: Record<string, string>) {
  const clean = { ...process.env };
  delete clean.BATON_AGENT_TOKEN;
  return spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO_ROOT, env: { ...clean, ...env }, encoding: "utf8", timeout: 20_000 });
}

describe("daemon lifecycle", () => {
  it("refuses to start without a token, or with a bad configuration file", () => {
    const noToken = runAgentSync(["--name", "Srv1", "--port", "0"], {});
    expect(noToken.status).not.toBe(0);
    expect(noToken.stderr).toContain("refusing to start without a token");
    const tokenFlag = runAgentSync(["--name", "Srv1", "--port", "0", "--token", "abcdefghijklmnopqrstuvwxyz"], {});
    expect(tokenFlag.status).not.toBe(0);
    expect(tokenFlag.stderr).toMatch(/Unknown option '--token'/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-cfg-"));
    const badConfig = path.join(dir, "bad.json");
    fs.writeFileSync(badConfig, JSON.stringify({ configurations: [{ name: "X", maxShells: "lots" }] }));
    const bad = runAgentSync(["--name", "Srv1", "--port", "0", "--config", badConfig], { BATON_AGENT_TOKEN: "t".repeat(32) });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("configurations.0.maxShells");
  });

  it("reads the token from a file, logs structured lines without it, and shuts down cleanly on SIGTERM", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-tok-"));
    const tokenFile = path.join(dir, "token");
    const token = "file-token-" + "9".repeat(30);
    fs.writeFileSync(tokenFile, `${token}\n`);
    const agent = await startAgent({ name: "Life1", args: ["--token-file", tokenFile], env: { BATON_AGENT_TOKEN: "" } });
    // startAgent's client uses its own random token: swap in the file's.
    const { AgentClient } = await import("../../fleet/agent-client");
    const client = new AgentClient({ baseUrl: agent.baseUrl, token });
    const health = await client.health();
    expect(health).toMatchObject({ ok: true, name: "Life1" });

    const s = await client.newSession(alice, { name: "Doomed" });
    const bg = await runAndCollect({ ...agent, client }, alice, s.id, "sleep 300 >/dev/null 2>&1 & echo BGPID=$!; echo ENV=${BATON_AGENT_TOKEN:-none}");
    const bgPid = Number(/BGPID=(\d+)/.exec(bg.output)?.[1]);
    expect(bg.output).toContain("ENV=none");
    const shellPid = (await client.getSession(alice, s.id)).pid!;
    expect(isAlive(bgPid)).toBe(true);
    client.close();

    const code = await agent.stop("SIGTERM");
    expect(code).toBe(0);
    await until(() => !isAlive(bgPid) && !isAlive(shellPid), { timeoutMs: 3000, what: "shells gone" });
    const lines = agent
      .logs()
      .split("\n")
      .filter((l) => l.startsWith("{"));
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(agent.logs()).not.toContain(token);
    expect(agent.logs()).toContain('"msg":"stopped"');
  });
});
