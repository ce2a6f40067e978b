import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { seal } from "@/lib/crypto/secret-box";
import { db } from "@/lib/db/client";
import { AgentClient } from "@/lib/fleet/agent-client";
import { logger } from "@/lib/logger";
import { ZAgentConfigFile } from "@/lib/protocol";

// Demo mode only: starts one local agent host per computer of scripts/demo-fleet/fleet.json on
// consecutive loopback ports, each with a fresh random token, and registers them.
const ZFleetFile = z.object({
  computers: z.array(z.object({ name: z.string(), configurations: ZAgentConfigFile.shape.configurations })).min(1),
});

export type TDemoFleet = { stop: () => void; agents: { name: string; port: number }[] };

export async function startDemoFleet({ basePort, file = "scripts/demo-fleet/fleet.json" }: { basePort: number; file?: string }): Promise<TDemoFleet> {
  const spec = ZFleetFile.parse(JSON.parse(fs.readFileSync(file, "utf8")));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-demo-fleet-"));
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stop);
  const agents = spec.computers.map((c, i) => ({ ...c, port: basePort + i, token: randomBytes(24).toString("base64url") }));
  for (const a of agents) {
    const configFile = path.join(dir, `${a.name}.json`);
    fs.writeFileSync(configFile, JSON.stringify({ configurations: a.configurations }));
    const child = spawn(path.resolve("node_modules/.bin/tsx"), ["lib/agent/main.ts", "--name", a.name, "--port", String(a.port), "--config", configFile], {
      env: { ...process.env, BATON_AGENT_TOKEN: a.token, BATON_AGENT_LOG_LEVEL: process.env.BATON_AGENT_LOG_LEVEL ?? "warn", NODE_ENV: "production" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code, signal) => logger.warn({ computer: a.name, code, signal }, "demo agent exited"));
    children.push(child);
  }
  for (const a of agents) {
    const address = `http://127.0.0.1:${a.port}`;
    const client = new AgentClient({ baseUrl: address, token: a.token, timeoutMs: 2000 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const health = await client.health();
        if (health.name !== a.name) throw new Error(`port ${a.port} answers as ${health.name}: is another demo running?`);
        break;
      } catch (err) {
        if ((err as Error).message.includes("answers as") || Date.now() > deadline) {
          stop();
          throw new Error(`demo agent ${a.name} did not start on ${address}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    client.close();
    await db.computer.upsert({
      where: { name: a.name },
      create: { name: a.name, address, tokenCiphertext: seal(a.token) },
      update: { address, tokenCiphertext: seal(a.token) },
    });
  }
  return { stop, agents: agents.map(({ name, port }) => ({ name, port })) };
}
