/**
 * The real console for `npm run bench:console`: production build, `tsx server.ts` in its own
 * process group (so the demo agents it spawns go down with it, even on failure), free ports.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export type TConsole = {
  baseUrl: string;
  agentBasePort: number;
  /** The console's output so far (stdout and stderr), for error reports. */
  output: () => string;
  stop: () => Promise<void>;
  /** Synchronous last resort for process "exit": SIGKILL to the whole group. */
  kill: () => void;
  /** Sends a signal to the whole group. */
  signal: (sig: NodeJS.Signals) => void;
  /** CPU time (user + system) used so far by the console's process group, in ms; NaN without /proc. */
  cpuMs: () => number;
};

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Sums utime + stime of every process in a process group (Linux /proc). */
function groupCpuMs(pgid: number): number {
  if (!fs.existsSync("/proc/self/stat")) return Number.NaN;
  let ticks = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the parenthesised command name: state ppid pgrp ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** `count` consecutive free ports (the demo fleet takes BATON_DEMO_AGENT_PORT..+4). */
export async function freePortRange(count: number, avoid: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => avoid.includes(p))) continue;
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** `next build` output must exist; builds when it does not (or when BENCH_BUILD=1). */
export function ensureBuild(root: string): { built: boolean; buildTime: Date } {
  const idFile = path.join(root, ".next/BUILD_ID");
  let built = false;
  if (process.env.BENCH_BUILD === "1" || !fs.existsSync(idFile)) {
    console.log("Building the console (npx next build)...");
    execFileSync("npx", ["next", "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    built = true;
  }
  return { built, buildTime: fs.statSync(idFile).mtime };
}

export async function startConsole({ root, env: given, timeoutMs = 120_000 }: { root: string; env: Record<string, string>; timeoutMs?: number }): Promise<TConsole> {
  // Demo agents outlive their console on purpose (a restart adopts them): a benchmark's fleet is
  // kept in its own directory, never the developer's data/demo-fleet, and stopped with it.
  const fleetDir = given.BATON_DEMO_FLEET_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-fleet-"));
  const env: Record<string, string> = { BATON_DEMO_FLEET_RESET: "1", ...given, BATON_DEMO_FLEET_DIR: fleetDir };
  const stopAgents = async () => {
    const { stopDemoAgents } = await import("../../lib/fleet/demo-fleet-state");
    await stopDemoAgents(fleetDir).catch(() => []);
  };
  const child: ChildProcess = spawn(path.join(root, "node_modules/.bin/tsx"), ["server.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true, // own process group: one signal reaches tsx, node, and the demo agents
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (alive()) signal("SIGTERM");
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8000))]);
    // The group may outlive its leader (agents); make sure nothing of it is left.
    signal("SIGKILL");
    if (!done) await exited;
    await stopAgents();
  };

  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  while (!output.includes("Baton console on")) {
    if (!alive()) throw new Error(`the console exited during start:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the console did not start within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { baseUrl, agentBasePort: Number(env.BATON_DEMO_AGENT_PORT), output: () => output, stop, kill: () => signal("SIGKILL"), signal, cpuMs: () => groupCpuMs(child.pid!) };
}
