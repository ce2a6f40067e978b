import { fork } from "node:child_process";
import path from "node:path";

type TStats = { inFlight: number; peak: number; total: number };
/** `combined.medianMs`: the median time a counted request took at the proxy since the last reset. */
export type TProxyStats = { combined: TStats & { medianMs: number }; perTarget: TStats[] };

export type ProxyProcess = {
  /** One proxy address per target, in order. */
  baseUrls: string[];
  stats(): Promise<TProxyStats>;
  reset(): Promise<TProxyStats>;
  setDelay(index: number, ms: number): Promise<TProxyStats>;
  close(): Promise<void>;
};

/**
 * Delay proxies (delay-proxy.ts) in front of agents, in a process of their own: latency is
 * added and agent requests are counted (in flight, peak, total: for each agent and over all
 * of them) outside the process under test.
 */
export async function startProxyProcess(opts: { targets: string[]; delayMs: number }): Promise<ProxyProcess> {
  const child = fork(path.join(import.meta.dirname, "delay-proxy-main.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BATON_PROXY_TARGETS: JSON.stringify(opts.targets), BATON_PROXY_DELAY_MS: String(opts.delayMs) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const baseUrls = await new Promise<string[]>((resolve, reject) => {
    child.once("message", (m: { ready: string[] }) => resolve(m.ready));
    child.once("exit", (code) => reject(new Error(`proxy process exited with ${code}`)));
  });
  let next = 0;
  const ask = (type: string, extra: Record<string, unknown> = {}) =>
    new Promise<TProxyStats>((resolve) => {
      const id = ++next;
      const on = (m: { id?: number } & TProxyStats) => {
        if (m.id !== id) return;
        child.off("message", on);
        resolve(m);
      };
      child.on("message", on);
      child.send({ id, type, ...extra });
    });
  return {
    baseUrls,
    stats: () => ask("stats"),
    reset: () => ask("reset"),
    setDelay: (index, ms) => ask("delay", { index, ms }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      await ask("close");
      await exited;
    },
  };
}
