import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgentClient, type ActAs } from "../../fleet/agent-client";
import type { TSessionView } from "../../protocol";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

export const alice: ActAs = { id: "u-alice", name: "Alice Tech", roles: ["technician"] };
export const bob: ActAs = { id: "u-bob", name: "Bob Manager", roles: ["manager"] };
export const admin: ActAs = { id: "u-admin", name: "Ada Admin", roles: ["admin"] };

export type RunningAgent = {
  client: AgentClient;
  baseUrl: string;
  token: string;
  proc: ChildProcess;
  logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/** Starts a real agent process on 127.0.0.1 with a free port and waits until it listens. */
export async function startAgent(opts: {
  name?: string;
  configurations?: unknown[];
  env?: Record<string, string>;
  args?: string[];
  nodeArgs?: string[];
  /** Serve HTTPS with these PEM files; the helper's own client trusts `cert` as its CA. */
  tls?: { cert: string; key: string };
} = {}): Promise<RunningAgent> {
  const token = crypto.randomBytes(24).toString("hex");
  const args = [...(opts.nodeArgs ?? []), "--import", "tsx", path.join(REPO_ROOT, "lib/agent/main.ts"), "--name", opts.name ?? "Srv1", "--port", "0", ...(opts.args ?? [])];
  if (opts.tls) args.push("--tls-cert", opts.tls.cert, "--tls-key", opts.tls.key);
  if (opts.configurations) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "baton-test-")), "sessions.json");
    fs.writeFileSync(file, JSON.stringify({ configurations: opts.configurations }));
    args.push("--config", file);
  }
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "test", BATON_AGENT_TOKEN: token, BATON_AGENT_LOG_LEVEL: "info", ...(opts.env ?? {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`agent did not start within 60 s:\n${out}`));
      // Through tsx, several agents starting at once on a loaded 2-core CI machine can take tens of seconds.
    }, 60_000);
    const check = () => {
      const m = out.match(/"port":(\d+)[^\n]*"msg":"agent listening"/);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off("data", check);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${out}`));
    });
  });
  const baseUrl = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const client = new AgentClient({ baseUrl, token, ca: opts.tls ? fs.readFileSync(opts.tls.cert) : undefined });
  return {
    client,
    baseUrl,
    token,
    proc,
    logs: () => out,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        client.close();
        // Already gone (exited, or killed by a signal: then exitCode stays null).
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        proc.once("exit", (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}

export function sha256(b: Buffer): string {
  return crypto.createHash("sha256").update(b).digest("hex");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value. */
export async function until<T>(fn: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await sleep(opts.intervalMs ?? 50);
  }
  throw new Error(`timed out waiting for ${opts.what ?? "condition"} (last: ${JSON.stringify(last)})`);
}

/** Waits until the session's last command is the given one (finished). */
export async function waitForCommand(agent: RunningAgent, as: ActAs, ref: number, commandId: string, timeoutMs = 15_000): Promise<TSessionView> {
  return until(
    async () => {
      const s = await agent.client.getSession(as, ref);
      return s.lastCommand?.id === commandId ? s : null;
    },
    { timeoutMs, what: `command ${commandId}` },
  );
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Runs a command in an attached session (no stream) and returns its output from Receive. */
export async function runAndCollect(agent: RunningAgent, as: ActAs, ref: number, command: string): Promise<{ output: string; exitCode: number }> {
  const { commandId } = await agent.client.run(as, ref, { command });
  const s = await waitForCommand(agent, as, ref, commandId);
  const r = await agent.client.receive(as, ref);
  return { output: commandOutput(r.output.toString("utf8"), command), exitCode: s.lastCommand!.exitCode };
}

/** The prompt bash prints before each command line (`user@Computer:cwd$ `, coloured). */
export const PROMPT_RE = /\x1b\[1;32m[^\x1b]*\x1b\[0m:\x1b\[1;34m[^\x1b]*\x1b\[0m[$#] /g;

/** Output without the prompts. */
export function withoutPrompts(text: string): string {
  return text.replace(PROMPT_RE, "");
}

/**
 * What a `run` command itself printed: without the prompts and without the command line the
 * terminal shows before its output (as if typed; the terminal turns its newlines into CRLF).
 */
export function commandOutput(text: string, command: string): string {
  const echo = `${command.replace(/\n/g, "\r\n")}\r\n`;
  const plain = withoutPrompts(text);
  const at = plain.indexOf(echo);
  return at < 0 ? plain : plain.slice(0, at) + plain.slice(at + echo.length);
}
